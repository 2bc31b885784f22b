//! Time, behind a trait: the real clock for runs, a virtual one for scenario
//! tests, so that a runbook polling for ten minutes tests in milliseconds.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A sleep the clock hands out.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where the interpreter reads the time and waits between retry attempts.
pub trait Clock: Send + Sync {
    /// A monotonic instant, for durations and deadlines.
    fn now(&self) -> Instant;
    /// The wall-clock time, for records.
    fn wall(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// `time` as RFC 3339 in UTC with milliseconds: `2026-11-23T11:36:40.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let (days, seconds, millis) = split(time);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `time` compact, for file and run names: `20261123T113640Z`.
pub fn compact(time: SystemTime) -> String {
    let (days, seconds, _) = split(time);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", seconds / 3600, seconds / 60 % 60, seconds % 60)
}

fn split(time: SystemTime) -> (i64, u64, u32) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    (i64::try_from(seconds / 86_400).unwrap_or(i64::MAX), seconds % 86_400, since.subsec_millis())
}

/// Year, month and day of a count of days since 1970-01-01 (Howard
/// Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = u32::try_from(day_of_year - (153 * month_index + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if month_index < 10 { month_index + 3 } else { month_index - 9 }).unwrap_or(1);
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_timestamps() {
        let time = UNIX_EPOCH + Duration::from_millis(1_795_433_800_123);
        assert_eq!(rfc3339(time), "2026-11-23T11:36:40.123Z");
        assert_eq!(compact(time), "20261123T113640Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
