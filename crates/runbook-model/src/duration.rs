//! Durations written with units: `500ms`, `2s`, `1m30s`, `1h`.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A length of time read from a string with units. A bare number is refused:
/// `timeout: 3` could mean seconds or milliseconds, and a guess at 3 a.m. is
/// how a probe ends up waiting three hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub std::time::Duration);

const UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

impl Duration {
    /// Parses `500ms`, `2s`, `1m`, `1h`, `1d` and sums such as `1m30s`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty duration: write a number with a unit, such as `3s`".into());
        }
        if text.parse::<f64>().is_ok() {
            return Err(format!("`{text}` has no unit: write `{text}s` for seconds or `{text}ms` for milliseconds"));
        }
        let mut total: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                return Err(invalid(text));
            }
            let number: u64 = rest[..digits].parse().map_err(|_| invalid(text))?;
            rest = &rest[digits..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let unit = &rest[..unit_len];
            let Some((_, millis)) = UNITS.iter().find(|(name, _)| *name == unit) else {
                return Err(invalid(text));
            };
            total = number
                .checked_mul(*millis)
                .and_then(|ms| total.checked_add(ms))
                .ok_or_else(|| format!("duration `{text}` is too large"))?;
            rest = &rest[unit_len..];
        }
        Ok(Self(std::time::Duration::from_millis(total)))
    }

    /// The duration in milliseconds.
    pub fn as_millis(self) -> u128 {
        self.0.as_millis()
    }

    /// The duration as people read a measured time: `250ms`, `16.1s`,
    /// `2m05s`, `1h02m`, rounded to the unit shown (never the exact
    /// `16s108ms` a runbook would write).
    pub fn spoken(self) -> String {
        let millis = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if millis < 1000 {
            return format!("{millis}ms");
        }
        let tenths = millis.saturating_add(50) / 100;
        if tenths < 600 {
            return match tenths % 10 {
                0 => format!("{}s", tenths / 10),
                tenth => format!("{}.{tenth}s", tenths / 10),
            };
        }
        let seconds = millis.saturating_add(500) / 1000;
        if seconds < 3600 {
            return format!("{}m{:02}s", seconds / 60, seconds % 60);
        }
        let minutes = millis.saturating_add(30_000) / 60_000;
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    }
}

fn invalid(text: &str) -> String {
    format!("invalid duration `{text}`: use a number and a unit (ms, s, m, h, d), such as `500ms`, `3s` or `1m30s`")
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut millis = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return f.write_str("0s");
        }
        for (name, size) in UNITS.iter().rev() {
            let count = millis / size;
            if count > 0 {
                write!(f, "{count}{name}")?;
                millis %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration with a unit, such as `500ms`, `3s` or `1m`")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
                Duration::parse(text).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Duration, E> {
                Err(E::custom(Duration::parse(&number.to_string()).unwrap_err()))
            }

            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Duration, E> {
                Err(E::custom(Duration::parse(&number.to_string()).unwrap_err()))
            }

            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Duration, E> {
                Err(E::custom(Duration::parse(&number.to_string()).unwrap_err()))
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(ms|s|m|h|d))+$",
            "description": "A duration with units: `500ms`, `3s`, `1m30s`, `1h`, `1d`.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        let cases = [
            ("500ms", 500),
            ("2s", 2_000),
            ("1m", 60_000),
            ("1m30s", 90_000),
            ("1h", 3_600_000),
            ("1d", 86_400_000),
            ("0s", 0),
        ];
        for (text, millis) in cases {
            assert_eq!(Duration::parse(text).unwrap().as_millis(), millis, "{text}");
        }
    }

    /// As the run view says measured times, and RB507 its sums
    /// (review-12-user7 L8: `2s600ms` read as `2.6s`).
    #[test]
    fn a_spoken_duration_reads_in_the_unit_that_fits() {
        let cases = [
            (0, "0ms"),
            (250, "250ms"),
            (999, "999ms"),
            (1_000, "1s"),
            (2_600, "2.6s"),
            (16_108, "16.1s"),
            (59_949, "59.9s"),
            (59_950, "1m00s"),
            (125_400, "2m05s"),
            (3_599_499, "59m59s"),
            (3_599_500, "1h00m"),
            (3_720_000, "1h02m"),
        ];
        for (millis, text) in cases {
            assert_eq!(Duration(std::time::Duration::from_millis(millis)).spoken(), text, "{millis}ms");
        }
    }

    #[test]
    fn refuses_bare_numbers_and_unknown_units() {
        assert_eq!(
            Duration::parse("3").unwrap_err(),
            "`3` has no unit: write `3s` for seconds or `3ms` for milliseconds"
        );
        assert!(Duration::parse("3 sec").unwrap_err().contains("invalid duration"));
        assert!(Duration::parse("s").unwrap_err().contains("invalid duration"));
        assert!(Duration::parse("").unwrap_err().contains("empty duration"));
        assert!(Duration::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn displays_in_the_largest_units() {
        for (text, shown) in [("90s", "1m30s"), ("1500ms", "1s500ms"), ("0ms", "0s"), ("2h", "2h")] {
            assert_eq!(Duration::parse(text).unwrap().to_string(), shown);
        }
    }
}
