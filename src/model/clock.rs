//! The wall clock behind simulated time. Some plugins decide by time of day (tdm's revocable
//! windows) or by "every N minutes since the scheduler started" (tdm's eviction period,
//! rescheduling's interval); the scheduler core may not see the simulator, so the little it needs
//! to know about time lives here, on the cluster it reads.

use super::time::{DurationMs, SimTime};

/// Seconds in a day.
pub const DAY_S: u64 = 86_400;

/// What the scheduler knows about time besides `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Wall-clock time of day at simulated t = 0, in seconds after midnight (`run.start`).
    pub start_of_day_s: u64,
    /// The scheduling period: cycles run on multiples of it (Volcano's `schedule-period`).
    pub cycle_period: DurationMs,
}

impl Default for Clock {
    /// Midnight at t = 0, one cycle a second.
    fn default() -> Clock {
        Clock { start_of_day_s: 0, cycle_period: DurationMs::SECOND }
    }
}

impl Clock {
    /// Wall-clock seconds after midnight at `now` (whole seconds, like Go's `time.Unix()`).
    pub fn time_of_day_s(&self, now: SimTime) -> u64 {
        (self.start_of_day_s + now.0 / 1000) % DAY_S
    }

    /// Parses `run.start`: a time of day `HH:MM[:SS]` or a date and time `YYYY-MM-DDTHH:MM[:SS]`
    /// (the date is checked but only the time of day matters to the plugins).
    pub fn parse_start(text: &str) -> Result<u64, String> {
        let t = text.trim();
        let bad = || format!("`{text}` is not a time of day (HH:MM[:SS]) or date-time (YYYY-MM-DDTHH:MM[:SS])");
        let time = match t.split_once(['T', ' ']) {
            Some((date, time)) => {
                let parts: Vec<&str> = date.split('-').collect();
                let ok = parts.len() == 3
                    && [4, 2, 2]
                        .iter()
                        .zip(&parts)
                        .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()));
                let (m, d): (u32, u32) = if ok {
                    (parts[1].parse().map_err(|_| bad())?, parts[2].parse().map_err(|_| bad())?)
                } else {
                    return Err(bad());
                };
                if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
                    return Err(bad());
                }
                time
            }
            None => t,
        };
        parse_time_of_day(time).ok_or_else(bad)
    }
}

/// `HH:MM` or `HH:MM:SS` as seconds after midnight (hours 0–23).
pub fn parse_time_of_day(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    let nums: Option<Vec<u64>> =
        parts.iter().map(|p| p.bytes().all(|b| b.is_ascii_digit()).then(|| p.parse().ok()).flatten()).collect();
    let nums = nums?;
    let (h, m, s) = (nums[0], nums[1], nums.get(2).copied().unwrap_or(0));
    (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_accepts_time_of_day_and_date_time() {
        assert_eq!(Clock::parse_start("06:30"), Ok(6 * 3600 + 30 * 60));
        assert_eq!(Clock::parse_start("2026-01-05T23:59:10"), Ok(23 * 3600 + 59 * 60 + 10));
        assert!(Clock::parse_start("24:00").is_err());
        assert!(Clock::parse_start("2026-13-05T10:00").is_err());
        assert!(Clock::parse_start("noon").is_err());
        let c = Clock { start_of_day_s: 23 * 3600, cycle_period: DurationMs::SECOND };
        assert_eq!(c.time_of_day_s(SimTime(3_600_000 + 1_999)), 1);
    }
}
