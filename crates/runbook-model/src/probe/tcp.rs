//! The `tcp` probe: a connection attempt, and what `check` knows of it.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Fact, FactType};
use crate::analyse::TemplateKind;
use crate::{Duration, Expectation, MockErrorKind, Span, Spanned, Subject};

/// A TCP connection attempt. Observations: `connected`, `duration`, and on
/// failure an error kind.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcpProbe {
    /// Host name or address; a template.
    pub host: Spanned<String>,
    /// Port number, or a template that renders to one.
    pub port: Spanned<Port>,
    /// Limit on the connection attempt (default 5s).
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
}

impl TcpProbe {
    /// Its own rules: a limit above zero, and a literal `host` that is a
    /// host, not a URL or `HOST:PORT` (which resolve as no host at all).
    pub(super) fn shape(&self, out: &mut Vec<crate::Diagnostic>) {
        crate::analyse::zero_limit(self.timeout.as_ref(), "timeout", out);
        let host = self.host.as_str();
        let with_port = host
            .rsplit_once(':')
            .is_some_and(|(name, port)| !name.contains(':') && !name.is_empty() && port.parse::<u16>().is_ok());
        if !host.contains("{{") && (host.contains("://") || with_port || host.contains('/')) {
            out.push(
                crate::Diagnostic::new(crate::Code::InvalidValue, self.host.span, format!("`host` is not a host name or address: `{host}`"))
                    .with_label("no such host")
                    .with_help("write the host alone (`host: 127.0.0.1`) and the port under `port:`; a URL belongs to an `http` probe"),
            );
        }
    }
}

/// A TCP port: a number from 1 to 65535 or a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port {
    /// A literal port.
    Number(u16),
    /// A template rendered at run time.
    Template(String),
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortVisitor;

        impl Visitor<'_> for PortVisitor {
            type Value = Port;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number from 1 to 65535, or a template")
            }

            fn visit_u64<E: de::Error>(self, port: u64) -> Result<Port, E> {
                match u16::try_from(port) {
                    Ok(port) if port > 0 => Ok(Port::Number(port)),
                    _ => Err(E::custom(format!("port {port} is out of range: use a number from 1 to 65535"))),
                }
            }

            fn visit_i64<E: de::Error>(self, port: i64) -> Result<Port, E> {
                u64::try_from(port).map_or_else(
                    |_| Err(E::custom(format!("port {port} is out of range: use a number from 1 to 65535"))),
                    |port| self.visit_u64(port),
                )
            }

            // A quoted `"80"` or a name like `http` is a string, not a port:
            // only a template is read as text.
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Port, E> {
                if text.contains("{{") {
                    Ok(Port::Template(text.to_owned()))
                } else {
                    Err(E::custom(format!("expected a port number or a template, found the string {text:?}")))
                }
            }
        }

        deserializer.deserialize_any(PortVisitor)
    }
}

impl JsonSchema for Port {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Port".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port number from 1 to 65535, or a template that renders to one (a quoted number or a word is refused).",
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": 65535 },
                { "type": "string", "pattern": "\\{\\{" }
            ]
        })
    }
}

/// What its expectations may read.
pub(super) const SUBJECTS: &[Subject] = &[Subject::Connected, Subject::Duration];

/// The errors it reports for real (RB507); a step `timeout:` ends any probe.
pub(super) const ERRORS: &[MockErrorKind] = &[
    MockErrorKind::Timeout,
    MockErrorKind::Refused,
    MockErrorKind::Dns,
    MockErrorKind::Reset,
    MockErrorKind::InvalidTarget,
    MockErrorKind::Io,
];

/// What `steps.ID` holds of its observation, besides `duration` and `error`.
pub(super) const FACTS: &[Fact] = &[Fact::new("connected", FactType::Bool), Fact::new("address", FactType::Text)];

impl TcpProbe {
    /// Its templated fields: the host, and the port when it is a template.
    pub(super) fn template_fields<'a>(&'a self, out: &mut Vec<(&'a str, Span, TemplateKind)>) {
        out.push((&self.host.value, self.host.span, TemplateKind::Template));
        if let Port::Template(text) = &self.port.value {
            out.push((text, self.port.span, TemplateKind::Template));
        }
    }
}

/// Whether `expect` reads `connected`: a refused or timed-out connection
/// is then judged (`fail`), never an `error`.
pub(super) fn judges_failure(expect: &[Spanned<Expectation>]) -> bool {
    expect.iter().any(|e| e.subjects().iter().any(|(subject, _)| *subject == Subject::Connected))
}
