//! The times the journal writes (`at`, `started_at`): RFC 3339 in UTC with
//! milliseconds, `2026-11-23T11:36:40.123Z`. Read back only from such a
//! text, so that a journal whose times were edited (`"at": "yesterday"`) is
//! refused, naming the line, instead of reaching the record.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize};

use crate::clock::{parse_rfc3339, rfc3339};

/// A wall-clock time as the journal writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Timestamp(#[schemars(regex(pattern = r"^\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$"))] String);

impl Timestamp {
    /// `time`, written as the journal writes it.
    pub fn new(time: SystemTime) -> Self {
        Self(rfc3339(time))
    }

    /// The text: `2026-11-23T11:36:40.123Z`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The time it names.
    pub fn time(&self) -> SystemTime {
        parse_rfc3339(&self.0).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// The UNIX epoch: a valid time, never one a run writes.
impl Default for Timestamp {
    fn default() -> Self {
        Self::new(SystemTime::UNIX_EPOCH)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Timestamp> for String {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if parse_rfc3339(&text).is_some() {
            Ok(Self(text))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{text}` is not a time as the journal writes it (RFC 3339 in UTC: `2026-11-23T11:36:40.123Z`)"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_time_as_the_journal_writes_it_reads_back() {
        let now = Timestamp::new(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_764_513_411_911));
        let read: Timestamp = serde_json::from_value(serde_json::to_value(&now).unwrap()).unwrap();
        assert_eq!(read, now);
        assert_eq!(read.time(), now.time());
        // A virtual clock's horizon is ten thousand years away: five digits.
        let far = Timestamp::new(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(318_000_000_000));
        assert!(far.as_str().starts_with("12047-"), "{far}");
        let read: Timestamp = serde_json::from_value(serde_json::to_value(&far).unwrap()).unwrap();
        assert_eq!(read.time(), far.time());
        for wrong in [
            "yesterday",
            "",
            "2026-11-30",
            "2026-11-30T25:00:00Z",
            "2026-02-30T10:00:00.000Z",
            "2026-11-30T10:00:00+01:00",
        ] {
            let error = serde_json::from_value::<Timestamp>(serde_json::json!(wrong)).unwrap_err().to_string();
            assert!(error.contains("is not a time as the journal writes it"), "{wrong}: {error}");
        }
        assert!(serde_json::from_value::<Timestamp>(serde_json::json!(12)).is_err());
    }
}
