//! Expectations: a subject of the observations and predicates on it.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{CertificateFact, JsonQuery, Pattern, Span, Spanned, TimingPhase};

/// One expectation: exactly one subject and the predicates it must satisfy.
///
/// Subjects without a parameter take the expected value directly
/// (`status: 200`) or a map of predicates (`status: { in: [200, 204] }`).
/// Subjects with a parameter (`json: $.path`, `header: name`) take their
/// predicates as sibling keys; without any, the subject must exist.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// HTTP status code.
    #[serde(default)]
    pub status: Option<Spanned<Expected>>,
    /// HTTP response body, as text.
    #[serde(default)]
    pub body: Option<Spanned<Expected>>,
    /// How long the probe took; compare with durations (`lt: 500ms`).
    #[serde(default)]
    pub duration: Option<Spanned<Expected>>,
    /// Exit code of a command.
    #[serde(default)]
    pub exit_code: Option<Spanned<Expected>>,
    /// Standard output of a command, as text.
    #[serde(default)]
    pub stdout: Option<Spanned<Expected>>,
    /// Standard error of a command, as text.
    #[serde(default)]
    pub stderr: Option<Spanned<Expected>>,
    /// Whether a TCP connection was established.
    #[serde(default)]
    pub connected: Option<Spanned<Expected>>,
    /// RFC 9535 `JSONPath` into the JSON body (HTTP) or stdout (command). A
    /// path that selects several nodes gives a list.
    #[serde(default)]
    pub json: Option<Spanned<JsonQuery>>,
    /// An HTTP response header, by case-insensitive name.
    #[serde(default)]
    pub header: Option<Spanned<String>>,
    /// A fact of the certificate an https server presented: `issuer`,
    /// `subject`, `not_before`, `not_after` (text) or `days_left` (integer).
    #[serde(default)]
    pub tls: Option<Spanned<CertificateFact>>,
    /// A phase of an HTTP request, in milliseconds: `dns`, `connect` (TCP
    /// and a proxy's tunnel), `tls` (the handshake) or `first_byte`;
    /// compare with durations (`{ timing: first_byte, lt: 500ms }`). A
    /// phase that did not happen (an address has nothing to resolve, plain
    /// http no handshake) has no value. A probe judging `dns`, `connect` or
    /// `tls` opens its own connection, so it always has them.
    #[serde(default)]
    pub timing: Option<Spanned<TimingPhase>>,

    /// Equal, with types kept: `"200"` is not `200`.
    #[serde(default, deserialize_with = "written")]
    pub eq: Option<Spanned<Box<serde_json::Value>>>,
    /// Not equal.
    #[serde(default, deserialize_with = "written")]
    pub ne: Option<Spanned<Box<serde_json::Value>>>,
    /// Less than (numbers, or durations for `duration`).
    #[serde(default, deserialize_with = "written")]
    pub lt: Option<Spanned<Box<serde_json::Value>>>,
    /// Less than or equal.
    #[serde(default, deserialize_with = "written")]
    pub le: Option<Spanned<Box<serde_json::Value>>>,
    /// Greater than.
    #[serde(default, deserialize_with = "written")]
    pub gt: Option<Spanned<Box<serde_json::Value>>>,
    /// Greater than or equal.
    #[serde(default, deserialize_with = "written")]
    pub ge: Option<Spanned<Box<serde_json::Value>>>,
    /// One of the listed values.
    #[serde(default, rename = "in")]
    pub in_: Option<Spanned<Vec<serde_json::Value>>>,
    /// None of the listed values.
    #[serde(default)]
    pub not_in: Option<Spanned<Vec<serde_json::Value>>>,
    /// Text contains a substring, or a list contains an element.
    #[serde(default, deserialize_with = "written")]
    pub contains: Option<Spanned<Box<serde_json::Value>>>,
    /// Text starts with a prefix.
    #[serde(default)]
    pub starts_with: Option<Spanned<String>>,
    /// Text ends with a suffix.
    #[serde(default)]
    pub ends_with: Option<Spanned<String>>,
    /// Text matches a regular expression (anywhere; anchor with `^…$`).
    #[serde(default)]
    pub matches: Option<Spanned<Pattern>>,
    /// The subject is present (`true`) or not (`false`).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub exists: Option<Spanned<bool>>,
    /// The subject is missing (`true`).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub absent: Option<Spanned<bool>>,
    /// Text, list or object is empty.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub empty: Option<Spanned<bool>>,
    /// Text, list or object is not empty.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub non_empty: Option<Spanned<bool>>,
    /// Every element of a list satisfies these predicates.
    #[serde(default)]
    pub all: Option<Spanned<Box<Expectation>>>,
    /// At least one element of a list satisfies these predicates.
    #[serde(default)]
    pub any: Option<Spanned<Box<Expectation>>>,

    /// `fail` (default) or `warn`: a false `warn` expectation only makes the
    /// outcome `warn`, e.g. a 429 from a rate limiter.
    #[serde(default)]
    pub severity: Option<Spanned<ExpectationSeverity>>,
    /// Why the expectation matters, shown when it is false.
    #[serde(default)]
    pub message: Option<String>,
}

/// A predicate's value as written, `null` included: `eq: null` compares
/// with JSON `null` instead of vanishing (and leaving "must exist").
fn written<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Spanned<Box<serde_json::Value>>>, D::Error> {
    Spanned::<Box<serde_json::Value>>::deserialize(deserializer).map(Some)
}

/// How bad a false expectation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectationSeverity {
    /// The check fails.
    #[default]
    Fail,
    /// The check warns.
    Warn,
}

/// What a parameterless subject is compared with: a value (shorthand for
/// `eq`) or a map of predicates.
#[derive(Debug, Clone)]
pub enum Expected {
    /// `status: 200` means `status: { eq: 200 }`. Boxed, as the predicates'
    /// values are: an expectation holds a dozen of these, mostly absent.
    Value(Box<serde_json::Value>),
    /// `status: { in: [200, 204] }`.
    Predicates(Box<Expectation>),
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpectedVisitor;

        impl<'de> Visitor<'de> for ExpectedVisitor {
            type Value = Expected;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value to compare with, or a map of predicates")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Expected, A::Error> {
                Expectation::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|predicates| Expected::Predicates(Box::new(predicates)))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Expected, A::Error> {
                serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(|value| Expected::Value(Box::new(value)))
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Expected, E> {
                Ok(Expected::Value(Box::new(value.into())))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Expected, E> {
                Ok(Expected::Value(Box::new(value.into())))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Expected, E> {
                Ok(Expected::Value(Box::new(value.into())))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Expected, E> {
                Ok(Expected::Value(Box::new(value.into())))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Expected, E> {
                Ok(Expected::Value(Box::new(value.into())))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Expected, E> {
                Ok(Expected::Value(Box::new(serde_json::Value::Null)))
            }

            fn visit_none<E: de::Error>(self) -> Result<Expected, E> {
                self.visit_unit()
            }
        }

        deserializer.deserialize_any(ExpectedVisitor)
    }
}

impl JsonSchema for Expected {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expected".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let predicates = generator.subschema_for::<Expectation>();
        json_schema!({
            "description": "The expected value (shorthand for `eq`), or a map of predicates.",
            "anyOf": [
                { "type": ["string", "number", "integer", "boolean", "array", "null"] },
                predicates
            ]
        })
    }
}

/// The subject of an expectation, as named in YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Subject {
    Status,
    Body,
    Duration,
    ExitCode,
    Stdout,
    Stderr,
    Connected,
    Json,
    Header,
    Tls,
    Timing,
}

impl Subject {
    /// The YAML key.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Body => "body",
            Self::Duration => "duration",
            Self::ExitCode => "exit_code",
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Connected => "connected",
            Self::Json => "json",
            Self::Header => "header",
            Self::Tls => "tls",
            Self::Timing => "timing",
        }
    }
}

/// An expectation's keys by what they are: the one place that sorts every
/// field of [`Expectation`] (it destructures them all, so a new field does
/// not compile until it is sorted in here).
struct Keys<'a> {
    /// Each subject with its field, in the order written in the docs.
    subjects: [(Subject, Option<Span>); 11],
    /// The fields of the parameterless subjects (`status: 200`).
    expected: [&'a Option<Spanned<Expected>>; 7],
    /// Each predicate's name and span, if given.
    predicates: [Option<(&'static str, Span)>; 18],
}

impl Expectation {
    fn keys(&self) -> Keys<'_> {
        let Self {
            status,
            body,
            duration,
            exit_code,
            stdout,
            stderr,
            connected,
            json,
            header,
            tls,
            timing,
            eq,
            ne,
            lt,
            le,
            gt,
            ge,
            in_,
            not_in,
            contains,
            starts_with,
            ends_with,
            matches,
            exists,
            absent,
            empty,
            non_empty,
            all,
            any,
            severity: _,
            message: _,
        } = self;
        let value = |name, v: &Option<Spanned<Box<serde_json::Value>>>| v.as_ref().map(|v| (name, v.span));
        let text = |name, v: &Option<Spanned<String>>| v.as_ref().map(|v| (name, v.span));
        let pattern = |name, v: &Option<Spanned<Pattern>>| v.as_ref().map(|v| (name, v.span));
        let flag = |name, v: &Option<Spanned<bool>>| v.as_ref().map(|v| (name, v.span));
        let list = |name, v: &Option<Spanned<Vec<serde_json::Value>>>| v.as_ref().map(|v| (name, v.span));
        let nested = |name, v: &Option<Spanned<Box<Expectation>>>| v.as_ref().map(|v| (name, v.span));
        Keys {
            subjects: [
                (Subject::Status, status.as_ref().map(|s| s.span)),
                (Subject::Body, body.as_ref().map(|s| s.span)),
                (Subject::Duration, duration.as_ref().map(|s| s.span)),
                (Subject::ExitCode, exit_code.as_ref().map(|s| s.span)),
                (Subject::Stdout, stdout.as_ref().map(|s| s.span)),
                (Subject::Stderr, stderr.as_ref().map(|s| s.span)),
                (Subject::Connected, connected.as_ref().map(|s| s.span)),
                (Subject::Json, json.as_ref().map(|s| s.span)),
                (Subject::Header, header.as_ref().map(|s| s.span)),
                (Subject::Tls, tls.as_ref().map(|s| s.span)),
                (Subject::Timing, timing.as_ref().map(|s| s.span)),
            ],
            expected: [status, body, duration, exit_code, stdout, stderr, connected],
            predicates: [
                value("eq", eq),
                value("ne", ne),
                value("lt", lt),
                value("le", le),
                value("gt", gt),
                value("ge", ge),
                list("in", in_),
                list("not_in", not_in),
                value("contains", contains),
                text("starts_with", starts_with),
                text("ends_with", ends_with),
                pattern("matches", matches),
                flag("exists", exists),
                flag("absent", absent),
                flag("empty", empty),
                flag("non_empty", non_empty),
                nested("all", all),
                nested("any", any),
            ],
        }
    }

    /// The subjects this expectation names, with their spans. A valid
    /// expectation has exactly one; a predicate map has none.
    pub fn subjects(&self) -> Vec<(Subject, Span)> {
        self.keys().subjects.into_iter().filter_map(|(subject, span)| span.map(|span| (subject, span))).collect()
    }

    /// The value given to a parameterless subject, if that is the subject.
    pub fn expected(&self) -> Option<&Spanned<Expected>> {
        self.keys().expected.into_iter().find_map(Option::as_ref)
    }

    /// Names and spans of the predicates given as keys of this map.
    pub fn predicates(&self) -> Vec<(&'static str, Span)> {
        self.keys().predicates.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step holds its expectations twice (its runbook and its plan), and
    /// most subjects and predicates of one are absent: their values are
    /// boxed, so that an absent one costs a pointer and a span.
    #[test]
    fn an_expectation_stays_small() {
        let size = std::mem::size_of::<Expectation>();
        assert!(size <= 1_000, "an Expectation is {size} bytes");
    }
}
