//! The four probe kinds: what to observe and how.

use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::{Duration, Spanned};

/// An HTTP request. Observations: `status`, `header.NAME`, `body`, `json`,
/// `duration`, the final URL, and on failure an error kind.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpProbe {
    /// Request method (default `GET`).
    #[serde(default)]
    pub method: Option<Spanned<Method>>,
    /// URL to request; a template.
    pub url: Spanned<String>,
    /// Request headers; values are templates.
    #[serde(default)]
    pub headers: IndexMap<Spanned<String>, Spanned<String>>,
    /// Request body as text; a template.
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// Request body as JSON (sets `Content-Type: application/json`).
    #[serde(default)]
    pub json: Option<Spanned<serde_json::Value>>,
    /// Limit on the whole exchange (default 10s).
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
    /// Limit on establishing the connection.
    #[serde(default)]
    pub connect_timeout: Option<Spanned<Duration>>,
    /// Follow redirects (default `true`, at most 10).
    #[serde(default, deserialize_with = "crate::strict::optional")]
    pub follow_redirects: Option<bool>,
    /// TLS settings.
    #[serde(default)]
    pub tls: Option<Spanned<Tls>>,
    /// The proxy to go through: `none` for a direct connection, or an
    /// `http://HOST:PORT` URL (a template). Without it, `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` decide.
    #[serde(default)]
    pub proxy: Option<Spanned<String>>,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Method {
    #[default]
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

/// TLS settings of an HTTP probe.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Accept any certificate. Opt-in, flagged by `runbook check` and
    /// written to the record.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub insecure: Option<Spanned<bool>>,
    /// PEM file of extra trusted certificate authorities.
    #[serde(default)]
    pub ca_file: Option<Spanned<String>>,
}

/// A fact of the certificate an https server presented, read by `tls:` in
/// expectations and captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateFact {
    /// Who signed it, as text: `CN=Internal CA, O=Example`.
    Issuer,
    /// Whom it is for, as text: `CN=api.example.com`.
    Subject,
    /// Start of validity, RFC 3339 text in UTC.
    NotBefore,
    /// End of validity, RFC 3339 text in UTC.
    NotAfter,
    /// Whole days left until `not_after`, an integer.
    DaysLeft,
}

impl CertificateFact {
    /// The YAML name, also the key in `result.tls`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Issuer => "issuer",
            Self::Subject => "subject",
            Self::NotBefore => "not_before",
            Self::NotAfter => "not_after",
            Self::DaysLeft => "days_left",
        }
    }
}

/// A phase of an HTTP request, read by `timing:` in expectations: where its
/// time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimingPhase {
    /// Resolving the host's name (absent for an address, or a connection
    /// kept alive).
    Dns,
    /// Opening the connection: TCP, a proxy's tunnel, the TLS handshake.
    Connect,
    /// From the open connection to the answer's status line.
    FirstByte,
}

impl TimingPhase {
    /// The YAML name, also the key in the observation's `timing` (with `_ms`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::FirstByte => "first_byte",
        }
    }
}

/// A command. Observations: `exit_code`, `stdout`, `stderr` (and `json`
/// parsed from stdout), the signal, whether it timed out, `duration`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CmdProbe {
    /// Program and arguments, run without a shell. Each element is a
    /// template rendered to exactly one argument.
    #[serde(default)]
    pub argv: Option<Spanned<Vec<Spanned<String>>>>,
    /// A shell command, run with `sh -c`. Values interpolated into it are
    /// shell-quoted; `|safe` opts out.
    #[serde(default)]
    pub sh: Option<Spanned<String>>,
    /// Extra environment variables; values are templates.
    #[serde(default)]
    pub env: IndexMap<Spanned<String>, Spanned<String>>,
    /// Working directory.
    #[serde(default)]
    pub cwd: Option<Spanned<String>>,
    /// Text written to the command's standard input (default: none).
    #[serde(default)]
    pub stdin: Option<Spanned<String>>,
    /// Limit on the command (default 30s); on expiry the whole process
    /// group is terminated.
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
}

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

/// Environment variables that must be present. Values are secrets: only
/// whether each is set and non-empty is observed.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvProbe {
    /// Variables that must be set (possibly empty).
    #[serde(default)]
    pub set: Vec<Spanned<String>>,
    /// Variables that must be set and not empty.
    #[serde(default)]
    pub non_empty: Vec<Spanned<String>>,
}
