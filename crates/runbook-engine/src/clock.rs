//! Time, behind a trait: the real clock for runs, a virtual one for scenario
//! tests, so that a runbook polling for ten minutes tests in milliseconds.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

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
    /// Whether time is virtual, which the record says: its times are not
    /// the real ones.
    fn is_virtual(&self) -> bool {
        false
    }
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

/// Rounds of the scheduler the earliest virtual sleep lets pass before time
/// jumps to its end: enough for tasks that are ready (mocked probes, the
/// other branch of a `select!`) to finish first.
const IDLE_ROUNDS: u32 = 16;

/// 2026-01-01T00:00:00Z, in seconds since the Unix epoch (see
/// [`VirtualClock::from_fixed_start`]).
const FIXED_START_SECONDS: u64 = 1_767_225_600;

/// How far virtual time can move: about ten thousand years. Time stops
/// there instead of overflowing, so an exponential backoff that a real run
/// would wait on forever ends at once (every later sleep is due), and the
/// clock's instants and wall times stay representable.
pub const VIRTUAL_HORIZON: Duration = Duration::from_secs(10_000 * 365 * 86_400);

/// `elapsed` moved on by `by`, stopping at [`VIRTUAL_HORIZON`].
fn moved_on(elapsed: Duration, by: Duration) -> Duration {
    elapsed.saturating_add(by).min(VIRTUAL_HORIZON)
}

/// Virtual time, for tests and `runbook test`: nothing waits for real.
///
/// Time stands still while tasks are running; when the earliest pending
/// sleep has seen the scheduler go round a few times, time jumps
/// to that sleep's end and it completes. A retry backoff of ten minutes
/// and a step `timeout` racing it resolve in the order they would in real
/// time, at once. Meant for runs whose probes are mocked: a real probe
/// waiting on the network does not hold virtual time back.
#[derive(Clone)]
pub struct VirtualClock {
    shared: Arc<Shared>,
}

struct Shared {
    origin: Instant,
    wall_origin: SystemTime,
    time: Mutex<VirtualTime>,
    /// Woken when time moves or the earliest sleep goes away.
    changed: Notify,
}

#[derive(Default)]
struct VirtualTime {
    elapsed: Duration,
    /// Pending sleeps by end, with a number that tells equal ends apart.
    sleeps: BTreeSet<(Duration, u64)>,
    next_number: u64,
}

impl VirtualClock {
    /// A clock whose wall time starts at 2026-01-01T00:00:00Z: every
    /// `runbook test` case and every run under `RUNBOOK_VIRTUAL_CLOCK`
    /// starts there, so that their records are the same every time.
    pub fn from_fixed_start() -> Self {
        Self::new(UNIX_EPOCH + Duration::from_secs(FIXED_START_SECONDS))
    }

    /// A clock whose wall time starts at `wall_origin`.
    pub fn new(wall_origin: SystemTime) -> Self {
        let shared = Shared {
            origin: Instant::now(),
            wall_origin,
            time: Mutex::new(VirtualTime::default()),
            changed: Notify::new(),
        };
        Self { shared: Arc::new(shared) }
    }

    /// Virtual time passed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.shared.lock().elapsed
    }

    /// Moves time forward by `by` (a mocked probe that takes a while),
    /// ending the sleeps due by then; time stops at [`VIRTUAL_HORIZON`].
    pub fn advance(&self, by: Duration) {
        let mut time = self.shared.lock();
        time.elapsed = moved_on(time.elapsed, by);
        drop(time);
        self.shared.changed.notify_waiters();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, VirtualTime> {
        self.time.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualClock").field("elapsed", &self.elapsed()).finish_non_exhaustive()
    }
}

/// A pending virtual sleep; dropping it (a `select!` that went the other
/// way) lets the next one become the earliest.
struct Pending {
    shared: Arc<Shared>,
    key: (Duration, u64),
}

impl Drop for Pending {
    fn drop(&mut self) {
        let removed = self.shared.lock().sleeps.remove(&self.key);
        if removed {
            self.shared.changed.notify_waiters();
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.shared.origin + self.elapsed()
    }

    fn wall(&self) -> SystemTime {
        self.shared.wall_origin + self.elapsed()
    }

    fn is_virtual(&self) -> bool {
        true
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let key = {
                let mut time = shared.lock();
                let key = (moved_on(time.elapsed, duration), time.next_number);
                time.next_number += 1;
                time.sleeps.insert(key);
                key
            };
            let pending = Pending { shared, key };
            let shared = &pending.shared;
            let mut idle_rounds = 0;
            loop {
                let changed = shared.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let (due, earliest) = {
                    let time = shared.lock();
                    (time.elapsed >= key.0, time.sleeps.first() == Some(&key))
                };
                if due {
                    return;
                }
                if !earliest {
                    idle_rounds = 0;
                    changed.await;
                    continue;
                }
                if idle_rounds >= IDLE_ROUNDS {
                    let mut time = shared.lock();
                    time.elapsed = time.elapsed.max(key.0);
                    drop(time);
                    shared.changed.notify_waiters();
                    return;
                }
                idle_rounds += 1;
                tokio::task::yield_now().await;
            }
        })
    }
}

/// `time` as RFC 3339 in UTC with milliseconds: `2026-11-23T11:36:40.123Z`.
/// Written digit by digit: the journal stamps every event, and `format!`
/// with padding took a few thousand instructions a stamp.
pub fn rfc3339(time: SystemTime) -> String {
    let (days, seconds, millis) = split(time);
    let (year, month, day) = civil_from_days(days);
    let mut text = String::with_capacity(24);
    match u64::try_from(year) {
        Ok(year) if year < 10_000 => push_digits(&mut text, year, 4),
        _ => text.push_str(&year.to_string()),
    }
    let parts = [
        ('-', u64::from(month), 2),
        ('-', u64::from(day), 2),
        ('T', seconds / 3600, 2),
        (':', seconds / 60 % 60, 2),
        (':', seconds % 60, 2),
        ('.', u64::from(millis), 3),
    ];
    for (separator, value, width) in parts {
        text.push(separator);
        push_digits(&mut text, value, width);
    }
    text.push('Z');
    text
}

/// The last `width` decimal digits of `value`, zero-padded.
fn push_digits(text: &mut String, value: u64, width: u32) {
    for place in (0..width).rev() {
        let digit = u32::try_from(value / 10_u64.pow(place) % 10).unwrap_or(0);
        text.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// The time an [`rfc3339`] text gives (`2026-11-23T11:36:40.123Z`, the
/// milliseconds optional), as the journal writes it; `None` for any other
/// text.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let number = |part: &str| part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse::<u32>().ok()).flatten();
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut date = date.splitn(3, '-');
    let (year, month, day) = (date.next()?, number(date.next()?)?, number(date.next()?)?);
    let year = i64::from(number(year).filter(|_| year.len() >= 4)?);
    let (clock, millis) = match time.split_once('.') {
        Some((clock, millis)) if millis.len() == 3 => (clock, number(millis)?),
        Some(_) => return None,
        None => (time, 0),
    };
    let mut clock = clock.splitn(3, ':');
    let (hours, minutes, seconds) = (number(clock.next()?)?, number(clock.next()?)?, number(clock.next()?)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(())?;
    let seconds = u64::try_from(days).ok()? * 86_400 + u64::from(hours * 3600 + minutes * 60 + seconds);
    Some(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(u64::from(millis)))
}

/// Days since 1970-01-01 of a date (Howard Hinnant's algorithm), the
/// inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = i64::from(if month > 2 { month - 3 } else { month + 9 });
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A UNIX time in whole seconds (before 1970 too), RFC 3339 in UTC without
/// fractions, as certificates give their validity: `2027-01-01T00:00:00Z`.
pub(crate) fn rfc3339_seconds(unix: i64) -> String {
    let (days, seconds) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", seconds / 3600, seconds / 60 % 60, seconds % 60)
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
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(253_402_300_799_999)), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(253_402_300_800)), "10000-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_seconds(951_825_600), "2000-02-29T12:00:00Z");
        assert_eq!(rfc3339_seconds(-86_399), "1969-12-31T00:00:01Z");
    }

    #[test]
    fn reads_back_the_timestamps_it_writes_and_nothing_else() {
        for millis in [0, 951_782_400_000, 951_825_599_999, 1_795_433_800_123, 4_102_444_799_999] {
            let time = UNIX_EPOCH + Duration::from_millis(millis);
            assert_eq!(parse_rfc3339(&rfc3339(time)), Some(time), "{}", rfc3339(time));
        }
        assert_eq!(parse_rfc3339("2027-01-01T00:00:00Z"), Some(UNIX_EPOCH + Duration::from_secs(1_798_761_600)));
        for text in [
            "",
            "2026-11-23T11:36:40.123",
            "2026-11-23 11:36:40Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T11:36:40.1Z",
            "+026-11-23T11:36:40Z",
            "2026-11-23T11:36:40+01:00",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }
}
