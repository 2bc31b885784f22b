//! Mocked observations of a runbook test case: what each step's probes
//! "see" when `runbook test` runs the runbook without touching anything.

use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::{ByProbeKind, ConclusionStatus, Duration, ProbeKind, Severity, Span, Spanned};

/// What a step observes in a case: one observation for every run of its
/// probe (a mapping), or one per run (a list: per attempt of a retried step,
/// per visit of a step run again; the last one repeats).
#[derive(Debug, Clone)]
pub enum StepMock {
    /// The same at every attempt.
    Each(Box<MockSpec>),
    /// Run 1, 2, …; the last repeats for later runs.
    Attempts(Vec<Spanned<MockSpec>>),
}

impl StepMock {
    /// The mock for the probe's `number`-th run (from 1).
    pub fn attempt(&self, number: u32) -> Option<&MockSpec> {
        match self {
            Self::Each(spec) => Some(spec),
            Self::Attempts(list) => {
                let index = usize::try_from(number.saturating_sub(1)).unwrap_or(usize::MAX);
                list.get(index).or_else(|| list.last()).map(|spec| &spec.value)
            }
        }
    }

    /// Every spec written, attempts included, for checks that look at all
    /// of them.
    pub fn specs(&self) -> Vec<&MockSpec> {
        match self {
            Self::Each(spec) => vec![spec],
            Self::Attempts(list) => list.iter().map(|spec| &spec.value).collect(),
        }
    }
}

impl<'de> Deserialize<'de> for StepMock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MockVisitor;

        impl<'de> Visitor<'de> for MockVisitor {
            type Value = StepMock;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an observation (`http:`, `cmd:`, `tcp:`, `env:` or `error:`), or a list of them, one per attempt",
                )
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StepMock, A::Error> {
                let mut attempts = Vec::new();
                while let Some(spec) = seq.next_element()? {
                    attempts.push(spec);
                }
                Ok(StepMock::Attempts(attempts))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StepMock, A::Error> {
                MockSpec::deserialize(MapAccessDeserializer::new(map)).map(|spec| StepMock::Each(Box::new(spec)))
            }
        }

        deserializer.deserialize_any(MockVisitor)
    }
}

impl JsonSchema for StepMock {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepMock".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let spec = generator.subschema_for::<MockSpec>();
        json_schema!({
            "description": "What a step observes: one observation for every run of its probe, or a list with one per run (per attempt of a retried step, per visit of a step run again; the last repeats).",
            "anyOf": [spec, { "type": "array", "items": spec, "minItems": 1 }]
        })
    }
}

/// One observation, or how to find it: by `foreach` item, by probe name in
/// a `probes:` group, or a `call` step's mocked conclusion.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MockSpec {
    /// What an `http` probe received.
    #[serde(default)]
    pub http: Option<Spanned<HttpMock>>,
    /// What a `cmd` probe's command did.
    #[serde(default)]
    pub cmd: Option<Spanned<CmdMock>>,
    /// Whether a `tcp` probe connected.
    #[serde(default)]
    pub tcp: Option<Spanned<TcpMock>>,
    /// The variables an `env` probe looks at: a value, or `null` for unset.
    /// Every variable the probe names must be listed.
    #[serde(default)]
    pub env: Option<Spanned<IndexMap<Spanned<String>, Option<String>>>>,
    /// The probe got no answer: `timeout`, `refused`, `dns`, `tls`,
    /// `reset`, `spawn_failed`, … (any probe kind).
    #[serde(default)]
    pub error: Option<Spanned<MockError>>,
    /// For a `foreach` check: the observation of each item, by item (strings
    /// as written, other values as JSON).
    #[serde(default)]
    pub items: Option<Spanned<IndexMap<Spanned<String>, Spanned<StepMock>>>>,
    /// For a `foreach` check: the observation of items not in `items`.
    #[serde(default)]
    pub default: Option<Box<Spanned<StepMock>>>,
    /// For a `probes:` group: the observation of each probe, by name.
    #[serde(default)]
    pub probes: Option<Spanned<IndexMap<Spanned<String>, Spanned<StepMock>>>>,
    /// For a `call` step: the called runbook's conclusion, instead of
    /// running it.
    #[serde(default)]
    pub conclusion: Option<Spanned<MockConclusion>>,
    /// For a `call` step with a mocked `conclusion`: the vars the called
    /// runbook hands back (`steps.ID.vars`).
    #[serde(default)]
    pub vars: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
}

/// An observation a case mocks.
pub type MockedObservation<'a> = ByProbeKind<'a, HttpMock, CmdMock, TcpMock, IndexMap<Spanned<String>, Option<String>>>;

impl MockSpec {
    /// The observations the spec gives, in the order of its keys; none for
    /// an error (which fits any probe) or a spec that selects further
    /// (`items`, `probes`, `conclusion`). The one place that lists
    /// `MockSpec`'s probe keys.
    pub fn mocked(&self) -> Vec<MockedObservation<'_>> {
        // Every field named: a new key fails to compile here until it is
        // sorted into observations or not.
        let Self { http, cmd, tcp, env, error: _, items: _, default: _, probes: _, conclusion: _, vars: _ } = self;
        [
            http.as_ref().map(MockedObservation::Http),
            cmd.as_ref().map(MockedObservation::Cmd),
            tcp.as_ref().map(MockedObservation::Tcp),
            env.as_ref().map(MockedObservation::Env),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The kinds of [`Self::mocked`], with the spans of their keys.
    pub fn observed_kinds(&self) -> Vec<(ProbeKind, Span)> {
        self.mocked().into_iter().map(|mock| (mock.kind(), mock.span())).collect()
    }

    /// Whether the spec holds an observation itself (a kind or an error).
    pub fn is_observation(&self) -> bool {
        self.error.is_some() || !self.observed_kinds().is_empty()
    }
}

/// What an HTTP probe received.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpMock {
    /// Response status (default 200).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub status: Option<Spanned<u16>>,
    /// Response headers.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Response body as text.
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// Response body as JSON (also sets `content-type: application/json`).
    #[serde(default)]
    pub json: Option<Spanned<serde_json::Value>>,
    /// How long the exchange took (default 0); it passes on the virtual
    /// clock.
    #[serde(default)]
    pub duration: Option<Spanned<Duration>>,
    /// How long connecting took (default 0): with `timing.dns` and
    /// `timing.tls`, longer than the probe's `connect_timeout` ends it as a
    /// timeout at that limit.
    #[serde(default)]
    pub connect: Option<Spanned<Duration>>,
    /// The URL the response came from after redirects (default: the
    /// probe's URL).
    #[serde(default)]
    pub final_url: Option<Spanned<String>>,
    /// The certificate the server presented (default: none, as over plain
    /// http), for `tls:` expectations and captures.
    #[serde(default)]
    pub tls: Option<CertificateMock>,
    /// Where the time went, for `timing:` expectations (`connect` defaults
    /// to the `connect` above, `first_byte` to what `duration` leaves after
    /// `dns`, `connect` and `tls`: an answer came; `tls` to `0ms` when
    /// `tls:` gives a certificate; `dns` to none measured). The phases are
    /// parts of `duration` (RB507 refuses more); without a `duration`, the
    /// exchange takes as long as they add up to.
    #[serde(default)]
    pub timing: Option<TimingMock>,
}

/// An HTTP request's phases, as `timing:` expectations read them.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimingMock {
    /// Resolving the name.
    #[serde(default)]
    pub dns: Option<Spanned<Duration>>,
    /// Opening the connection (TCP, a proxy's tunnel).
    #[serde(default)]
    pub connect: Option<Spanned<Duration>>,
    /// The TLS handshake.
    #[serde(default)]
    pub tls: Option<Spanned<Duration>>,
    /// From the ready connection to the status line.
    #[serde(default)]
    pub first_byte: Option<Spanned<Duration>>,
}

/// A server certificate's facts, as `result.tls` holds them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateMock {
    /// Whole days left until `not_after`; negative once expired.
    pub days_left: i64,
    /// Who signed it (default empty).
    #[serde(default)]
    pub issuer: String,
    /// Whom it is for (default empty).
    #[serde(default)]
    pub subject: String,
    /// Start of validity, RFC 3339 (default empty).
    #[serde(default)]
    pub not_before: String,
    /// End of validity, RFC 3339 (default empty).
    #[serde(default)]
    pub not_after: String,
}

/// What a command did.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CmdMock {
    /// Exit code (default 0).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub exit_code: Option<Spanned<i32>>,
    /// Standard output as text.
    #[serde(default)]
    pub stdout: Option<Spanned<String>>,
    /// Standard output as JSON, written compactly.
    #[serde(default)]
    pub json: Option<Spanned<serde_json::Value>>,
    /// Standard error.
    #[serde(default)]
    pub stderr: Option<Spanned<String>>,
    /// How long the command ran (default 0); it passes on the virtual
    /// clock.
    #[serde(default)]
    pub duration: Option<Spanned<Duration>>,
}

/// Whether a TCP connection was made.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcpMock {
    /// `true` (the default) when the connection was made; `false` is the
    /// same as `error: refused`.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub connected: Option<Spanned<bool>>,
    /// How long the attempt took (default 0).
    #[serde(default)]
    pub duration: Option<Spanned<Duration>>,
}

/// A probe that got no answer.
#[derive(Debug, Clone)]
pub struct MockError {
    /// Why.
    pub kind: MockErrorKind,
    /// The message shown, when the default one is not enough.
    pub message: Option<String>,
}

impl<'de> Deserialize<'de> for MockError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            kind: MockErrorKind,
            #[serde(default)]
            message: Option<String>,
        }

        struct ErrorVisitor;

        impl<'de> Visitor<'de> for ErrorVisitor {
            type Value = MockError;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error kind (`timeout`, `refused`, …) or `{ kind, message }`")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<MockError, E> {
                let kind = MockErrorKind::deserialize(de::value::StrDeserializer::<E>::new(text))?;
                Ok(MockError { kind, message: None })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MockError, A::Error> {
                let full = Full::deserialize(MapAccessDeserializer::new(map))?;
                Ok(MockError { kind: full.kind, message: full.message })
            }
        }

        deserializer.deserialize_any(ErrorVisitor)
    }
}

impl JsonSchema for MockError {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MockError".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let kind = generator.subschema_for::<MockErrorKind>();
        json_schema!({
            "description": "Why the probe got no answer: a kind, or `{ kind, message }`.",
            "anyOf": [
                kind,
                {
                    "type": "object",
                    "properties": { "kind": kind, "message": { "type": "string" } },
                    "required": ["kind"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// The kinds of probe failure a case can mock; the names `result.error.kind`
/// compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum MockErrorKind {
    Timeout,
    Refused,
    Dns,
    Tls,
    Reset,
    TooManyRedirects,
    InvalidTarget,
    InvalidJson,
    SpawnFailed,
    Killed,
    Io,
}

impl MockErrorKind {
    /// The name as written, and as `result.error.kind` holds it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Refused => "refused",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::Reset => "reset",
            Self::TooManyRedirects => "too_many_redirects",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidJson => "invalid_json",
            Self::SpawnFailed => "spawn_failed",
            Self::Killed => "killed",
            Self::Io => "io",
        }
    }
}

/// A called runbook's conclusion, mocked.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MockConclusion {
    /// How the called runbook ended: the `call` step's `on:` key.
    pub status: Spanned<ConclusionStatus>,
    /// Its severity.
    #[serde(default)]
    pub severity: Option<Spanned<Severity>>,
    /// Its diagnosis.
    #[serde(default)]
    pub diagnosis: Option<String>,
    /// Its remediation.
    #[serde(default)]
    pub remediation: Option<String>,
}
