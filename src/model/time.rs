//! Simulated time: integer milliseconds since the start of the trace.
//!
//! Integer time keeps runs exact and portable: no epsilon compares, and the same scenario gives the
//! same event order on every machine.

use std::fmt;

/// A point in simulated time, in milliseconds since the trace start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of the simulation.
    pub const ZERO: SimTime = SimTime(0);

    /// Milliseconds since the trace start.
    pub fn ms(self) -> u64 {
        self.0
    }

    /// Seconds since the trace start, as a float, for reports only.
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `self + d`, saturating at the end of representable time.
    pub fn plus(self, d: DurationMs) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> DurationMs {
        DurationMs(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", DurationMs(self.0))
    }
}

/// A span of simulated time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DurationMs(pub u64);

impl DurationMs {
    /// One second.
    pub const SECOND: DurationMs = DurationMs(1000);

    /// Seconds as a float, for reports only.
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for DurationMs {
    /// Prints the largest exact Kubernetes-style spelling: `1h30m`, `250ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0;
        if ms == 0 {
            return write!(f, "0s");
        }
        let units = [("d", 86_400_000u64), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];
        for (name, size) in units {
            if ms >= size {
                write!(f, "{}{}", ms / size, name)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

/// Parses a duration such as `500ms`, `30s`, `5m`, `4h`, `60d`, `1h30m` or `1.5h`.
///
/// A bare number is rejected: the unit is part of the meaning, and guessing it hides mistakes.
pub fn parse_duration(text: &str) -> Result<DurationMs, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s == "0" {
        return Ok(DurationMs(0));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: f64 = 0.0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i {
            return Err(format!("`{text}` is not a duration (expected e.g. 30s, 5m, 4h, 60d)"));
        }
        let number: f64 = s[start..i].parse().map_err(|_| format!("`{text}`: bad number `{}`", &s[start..i]))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit_ms = match &s[ustart..i] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "" => return Err(format!("`{text}` needs a unit (ms, s, m, h or d)")),
            other => return Err(format!("`{text}`: unknown unit `{other}` (use ms, s, m, h or d)")),
        };
        total += number * unit_ms;
    }
    if !total.is_finite() || !(0.0..=1e15).contains(&total) {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(DurationMs(total.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_spellings() {
        assert_eq!(parse_duration("500ms"), Ok(DurationMs(500)));
        assert_eq!(parse_duration("30s"), Ok(DurationMs(30_000)));
        assert_eq!(parse_duration("1h30m"), Ok(DurationMs(5_400_000)));
        assert_eq!(parse_duration("1.5h"), Ok(DurationMs(5_400_000)));
        assert_eq!(parse_duration("60d"), Ok(DurationMs(5_184_000_000)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn displays_exactly() {
        assert_eq!(DurationMs(5_400_000).to_string(), "1h30m");
        assert_eq!(DurationMs(1_250).to_string(), "1s250ms");
        assert_eq!(DurationMs(0).to_string(), "0s");
    }
}
