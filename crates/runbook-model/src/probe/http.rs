//! The `http` probe: an HTTP request, and what `check` knows of it.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Fact, FactType, template};
use crate::analyse::TemplateKind;
use crate::{Code, Diagnostic, Duration, MockErrorKind, SentField, Span, Spanned, Subject};

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

impl Method {
    /// Whether a request of this method may change what it reaches (HTTP's
    /// methods that are not "safe"): `POST`, `PUT`, `PATCH`, `DELETE`.
    #[must_use]
    pub const fn may_change_things(self) -> bool {
        matches!(self, Self::Post | Self::Put | Self::Patch | Self::Delete)
    }

    /// The method as HTTP writes it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
        }
    }
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
    /// Opening the connection: TCP and a proxy's tunnel.
    Connect,
    /// The TLS handshake, once the connection was open (absent over plain
    /// http).
    Tls,
    /// From the ready connection to the answer's status line.
    FirstByte,
}

impl TimingPhase {
    /// Why a request to `url` through `proxy` (both as written; no proxy or
    /// `none` is direct) never has this phase, if it never does: no TLS
    /// handshake over plain http (through an `https://` proxy, the one with
    /// the proxy is), no name looked up for an IP address (through a proxy,
    /// only the proxy's own name is: the proxy resolves the service's).
    /// `None` too when it cannot be known (a templated proxy).
    pub(crate) fn never_for(self, url: &str, proxy: Option<&str>) -> Option<&'static str> {
        let proxy = proxy.filter(|proxy| *proxy != "none");
        if proxy.is_some_and(|proxy| proxy.contains("{{")) {
            return None;
        }
        let plain = |url: &str| url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        match (self, proxy) {
            (Self::Tls, None) => plain(url).then_some("plain http has no TLS handshake"),
            (Self::Tls, Some(proxy)) => {
                (plain(url) && plain(proxy)).then_some("plain http through an http:// proxy has no TLS handshake")
            }
            (Self::Dns, None) => literal_ip(url).then_some("an IP address is not looked up"),
            (Self::Dns, Some(proxy)) => literal_ip(proxy)
                .then_some("the proxy resolves the service's name, and its own address is not looked up"),
            (Self::Connect | Self::FirstByte, _) => None,
        }
    }

    /// The YAML name, also the key in the observation's `timing` (with `_ms`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::FirstByte => "first_byte",
        }
    }
}

/// Whether the host of `url` is an IP address, as the URL parser the
/// probe uses reads it: `127.1`, `0x7f000001` and `2130706433` are
/// 127.0.0.1 too.
fn literal_ip(url: &str) -> bool {
    let host = url.split_once("://").map_or("", |(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let bracketed = host.strip_prefix('[').and_then(|rest| rest.split_once(']')).map(|(inside, _)| inside);
    let address = bracketed.unwrap_or_else(|| host.split(':').next().unwrap_or(host));
    address.parse::<std::net::IpAddr>().is_ok() || whatwg_ipv4(address)
}

/// Whether `host` is an IPv4 address in one of the forms the WHATWG URL
/// standard reads (its "IPv4 parser"): one to four dot-separated numbers,
/// each decimal, octal (`0…`) or hexadecimal (`0x…`), a trailing dot
/// allowed, the last filling the bytes the others leave.
fn whatwg_ipv4(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let parts: Vec<&str> = host.split('.').collect();
    if host.is_empty() || parts.len() > 4 {
        return false;
    }
    let number = |part: &str| -> Option<u64> {
        let (digits, radix) = match part.get(..2) {
            Some("0x" | "0X") => (&part[2..], 16),
            _ if part.len() > 1 && part.starts_with('0') => (&part[1..], 8),
            _ => (part, 10),
        };
        if digits.is_empty() {
            return (radix == 16).then_some(0);
        }
        u64::from_str_radix(digits, radix).ok()
    };
    let Some(numbers) = parts.iter().map(|part| number(part)).collect::<Option<Vec<u64>>>() else { return false };
    let (last, first) = numbers.split_last().unwrap_or((&0, &[]));
    let room = 1u64 << (8 * (5 - numbers.len()));
    first.iter().all(|byte| *byte <= 255) && *last < room
}

/// What its expectations may read.
pub(super) const SUBJECTS: &[Subject] =
    &[Subject::Status, Subject::Body, Subject::Duration, Subject::Json, Subject::Header, Subject::Tls, Subject::Timing];

/// What its captures may read.
pub(super) const CAPTURES: &[&str] = &["json", "regex", "header", "tls", "body", "status"];

/// The errors it reports for real (RB507); a step `timeout:` ends any probe.
pub(super) const ERRORS: &[MockErrorKind] = &[
    MockErrorKind::Timeout,
    MockErrorKind::Refused,
    MockErrorKind::Dns,
    MockErrorKind::Tls,
    MockErrorKind::Reset,
    MockErrorKind::TooManyRedirects,
    MockErrorKind::InvalidTarget,
    MockErrorKind::InvalidJson,
    MockErrorKind::Io,
];

/// What `steps.ID` holds of its observation, besides `duration` and `error`.
pub(super) const FACTS: &[Fact] = &[
    Fact::new("status", FactType::Number),
    Fact::new("headers", FactType::Structured),
    Fact::new("json", FactType::Structured),
    Fact::new("body", FactType::Text),
    Fact::new("body_dropped_bytes", FactType::Number),
    Fact::new("final_url", FactType::Text),
    Fact::new("proxy", FactType::Text),
    Fact::new("redirects", FactType::Structured),
    Fact::new("tls", FactType::Structured),
    Fact::new("timing", FactType::Structured),
];

impl HttpProbe {
    /// Its templated fields, in the order written.
    pub(super) fn template_fields<'a>(&'a self, out: &mut Vec<(&'a str, Span, TemplateKind)>) {
        out.push(template(&self.url));
        out.extend(self.headers.values().map(template));
        out.extend(self.body.as_ref().map(template));
        if let Some(json) = &self.json {
            json_strings(&json.value, json.span, out);
        }
        out.extend(self.tls.as_ref().and_then(|tls| tls.ca_file.as_ref()).map(template));
        out.extend(self.proxy.as_ref().map(template));
    }

    /// What it sends that may carry a credential: the URL, each header
    /// under its name, the body, each string of a JSON body under its key.
    pub(super) fn sent_fields<'a>(&'a self, out: &mut Vec<SentField<'a>>) {
        out.push(SentField { under: None, text: &self.url });
        out.extend(self.headers.iter().map(|(name, value)| SentField { under: Some(name), text: value }));
        out.extend(self.body.as_ref().map(|body| SentField { under: None, text: body }));
        if let Some(json) = &self.json {
            keyed_strings(None, &json.value, out);
        }
    }

    /// Its own rules: one body, a literal proxy the engine accepts, limits
    /// above zero.
    pub(super) fn shape(&self, expect: &[Spanned<crate::Expectation>], out: &mut Vec<Diagnostic>) {
        crate::analyse::zero_limit(self.timeout.as_ref(), "timeout", out);
        // A HEAD answer has no body: a `body` or `json` expectation judges
        // nothing, every time (review-10-attack5 L13).
        if self.method.as_ref().is_some_and(|method| method.value == Method::Head) {
            let bodies = expect.iter().flat_map(|expectation| expectation.subjects());
            for (subject, span) in bodies.filter(|(subject, _)| matches!(subject, Subject::Body | Subject::Json)) {
                out.push(
                    Diagnostic::new(
                        Code::ExpectationShape,
                        span,
                        format!("a `HEAD` request gets no body, so `{}` judges nothing there", subject.name()),
                    )
                    .with_label("the answer to `method: HEAD` has no body")
                    .with_help(
                        "send `GET` (leave `method:` out) to judge the body, or judge `status` and headers only",
                    ),
                );
            }
        }
        crate::analyse::zero_limit(self.connect_timeout.as_ref(), "connect_timeout", out);
        if let (Some(_), Some(json)) = (&self.body, &self.json) {
            out.push(
                Diagnostic::new(Code::InvalidValue, json.span, "`json` beside `body`")
                    .with_help("send text with `body` or JSON with `json`, not both"),
            );
        }
        // A literal URL that is no http(s) URL is `invalid_target` at run
        // time, which would route the author's "no answer" branch.
        if !self.url.contains("{{") && !self.url.contains("{%") && !is_http_url(&self.url, true) {
            out.push(
                Diagnostic::new(Code::InvalidValue, self.url.span, "`url` is not an http(s) URL")
                    .with_label("no request can be sent to it")
                    .with_help("write the whole URL, scheme included: `http://HOST:PORT/PATH` (port 1-65535)"),
            );
        }
        // A templated proxy is checked when it is rendered; a literal one now,
        // since the engine would stop every request with it.
        if let Some(proxy) = self.proxy.as_ref().filter(|proxy| !proxy.contains("{{"))
            && proxy.trim() != "none"
            && !is_http_url(proxy, false)
        {
            out.push(
                Diagnostic::new(Code::InvalidValue, proxy.span, "`proxy` is neither `none` nor an http(s) URL")
                    .with_label("not a proxy")
                    .with_help(
                        "write `proxy: none` to go direct, or `proxy: http://HOST:PORT` (no spaces, port 1-65535)",
                    ),
            );
        }
    }
}

/// Every string of a JSON body: each is a template.
fn json_strings<'a>(value: &'a serde_json::Value, span: Span, out: &mut Vec<(&'a str, Span, TemplateKind)>) {
    match value {
        serde_json::Value::String(text) => out.push((text, span, TemplateKind::Template)),
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_strings(item, span, out)),
        serde_json::Value::Object(map) => map.values().for_each(|item| json_strings(item, span, out)),
        _ => {}
    }
}

/// Each string of a JSON body, under the key that holds it.
fn keyed_strings<'a>(key: Option<&'a str>, value: &'a serde_json::Value, out: &mut Vec<SentField<'a>>) {
    match value {
        serde_json::Value::String(text) => out.push(SentField { under: key, text }),
        serde_json::Value::Array(items) => items.iter().for_each(|item| keyed_strings(key, item, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(key, item)| keyed_strings(Some(key), item, out)),
        _ => {}
    }
}

/// `http://` or `https://` (any case), then a host and an optional port up
/// to 65535: what the engine accepts as a proxy (with no space anywhere)
/// or, with `spaces`, as a request's URL (whose path it encodes).
fn is_http_url(value: &str, spaces: bool) -> bool {
    if value.chars().any(|c| c.is_control() || (!spaces && c.is_whitespace())) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let Some(skip) = ["http://", "https://"].iter().find(|prefix| lower.starts_with(**prefix)).map(|p| p.len()) else {
        return false;
    };
    let authority = value[skip..].split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host_port.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        Some((host, rest)) => (host, rest.strip_prefix(':').or(Some(rest).filter(|rest| !rest.is_empty()))),
        None => host_port.split_once(':').map_or((host_port, None), |(host, port)| (host, Some(port))),
    };
    !host.is_empty() && port.is_none_or(|port| port.is_empty() || port.parse::<u16>().is_ok())
}
