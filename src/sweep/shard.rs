//! `--shard i/n`: pod `i` of `n` runs the cells whose index is `i` modulo `n`. Round-robin rather
//! than contiguous blocks, so every shard gets a similar mix of scenarios and parameter values
//! (grids are ordered by scenario, and scenarios differ most in cost).

/// A share of a grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole grid.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/n` (`0 <= i < n`).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = |why: &str| format!("shard `{text}`: {why} (expected i/n with 0 <= i < n, e.g. 0/4)");
        let (i, n) = text.trim().split_once('/').ok_or_else(|| bad("no `/`"))?;
        let index: u64 = i.trim().parse().map_err(|_| bad("i is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| bad("n is not a number"))?;
        if count == 0 || index >= count {
            return Err(bad("out of range"));
        }
        Ok(Shard { index, count })
    }

    /// Whether the cell at `index` in grid order belongs to this shard.
    pub fn owns(self, index: usize) -> bool {
        index as u64 % self.count == self.index
    }

    /// The results file name in the output folder: `results.csv` for the whole grid,
    /// `results-shard-I-of-N.csv` for a shard (so shards can share one folder on one volume).
    pub fn file_name(self) -> String {
        if self == Shard::ALL {
            "results.csv".into()
        } else {
            format!("results-shard-{}-of-{}.csv", self.index, self.count)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_partitions() {
        assert_eq!(Shard::parse(" 2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).unwrap_err().contains(bad), "{bad}");
        }
        let s = |i| Shard { index: i, count: 3 };
        let owned: Vec<Vec<usize>> = (0..3).map(|i| (0..7).filter(|&c| s(i).owns(c)).collect()).collect();
        assert_eq!(owned, vec![vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
        assert_eq!(s(1).file_name(), "results-shard-1-of-3.csv");
        assert_eq!(Shard::ALL.file_name(), "results.csv");
    }
}
