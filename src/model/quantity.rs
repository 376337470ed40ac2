//! Kubernetes resource quantities (`500m`, `4`, `16Gi`, `1Ti`, `1e9`) parsed into tephra's integer units.

/// Parses a Kubernetes quantity into its value in base units (cores, bytes, devices), as a float.
///
/// Accepts the decimal SI suffixes (`m`, `k`, `M`, `G`, `T`, `P`, `E`), the binary ones (`Ki` … `Ei`)
/// and exponent notation, exactly as `resource.Quantity` does.
pub fn parse_quantity(text: &str) -> Result<f64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty quantity".into());
    }
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let (num, suffix) = if suffix.starts_with(['e', 'E']) && suffix.len() > 1 {
        (s, "") // exponent notation: let the float parser take all of it
    } else {
        (num, suffix)
    };
    let value: f64 = num.parse().map_err(|_| format!("`{text}` is not a quantity (e.g. 4, 500m, 16Gi)"))?;
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        "Ei" => 1024.0f64.powi(6),
        other => return Err(format!("`{text}`: unknown quantity suffix `{other}`")),
    };
    let v = value * factor;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("`{text}` must be a non-negative quantity"));
    }
    Ok(v)
}

/// Parses a CPU quantity into millicores (`4` → 4000, `500m` → 500).
pub fn parse_cpu_milli(text: &str) -> Result<i64, String> {
    Ok((parse_quantity(text)? * 1000.0).round() as i64)
}

/// Parses a memory quantity into bytes (`16Gi` → 17179869184).
pub fn parse_memory_bytes(text: &str) -> Result<i64, String> {
    Ok(parse_quantity(text)?.round() as i64)
}

/// Formats bytes with the largest binary suffix that keeps it exact, for messages.
pub fn format_bytes(bytes: i64) -> String {
    let units = [("Ti", 1i64 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)];
    for (name, size) in units {
        if bytes >= size && bytes % size == 0 {
            return format!("{}{}", bytes / size, name);
        }
    }
    format!("{bytes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_memory() {
        assert_eq!(parse_cpu_milli("4"), Ok(4000));
        assert_eq!(parse_cpu_milli("500m"), Ok(500));
        assert_eq!(parse_cpu_milli("0.25"), Ok(250));
        assert_eq!(parse_memory_bytes("16Gi"), Ok(16 << 30));
        assert_eq!(parse_memory_bytes("1Ti"), Ok(1 << 40));
        assert_eq!(parse_memory_bytes("1G"), Ok(1_000_000_000));
        assert_eq!(parse_memory_bytes("1e3"), Ok(1000));
        assert!(parse_memory_bytes("12Qi").is_err());
        assert!(parse_cpu_milli("-1").is_err());
        assert!(parse_cpu_milli("abc").is_err());
        assert_eq!(format_bytes(64 << 30), "64Gi");
    }
}
