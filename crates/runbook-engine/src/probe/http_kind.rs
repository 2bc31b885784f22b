//! The `http` kind beside the request itself (`http.rs`): how a probe is
//! rendered into a request, what the rest of the engine reads of its
//! observation, and how `runbook test` mocks one.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use indexmap::IndexMap;
use runbook_model::{Capture, Expectation, HttpMock, HttpProbe, Method, ProbeKind, Spanned, Subject, TimingPhase};
use serde_json::{Map, Value};

use super::observed::{Observed, heard, mocked_duration, mocked_text, took};
use super::seconds;
use super::{
    Captured, Certificate, ErrorKind, HttpClient, HttpObservation, HttpSpec, HttpTiming, ProbeCall, ProbeError,
    ProxySetting, Redirect, SecretParts, millis,
};
use crate::prepare::{Prepared, RenderError, Renderer};
use crate::record::markdown::code;
use crate::redact::{Redact, Redactor};
use crate::template::shell_word;

/// What `steps.ID` holds of an `http` probe, named like its subjects.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HttpFacts {
    /// The status code; none without a response.
    pub status: Option<u16>,
    /// The response headers, names lower-case, in order.
    pub headers: IndexMap<String, String>,
    /// The body read as JSON, when it is JSON and was kept whole.
    #[serde(default, deserialize_with = "crate::step_facts::present", skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// The body as kept, without its final newline.
    pub body: String,
    /// How much of the body's middle was dropped to keep it bounded.
    pub body_dropped_bytes: u64,
    /// The URL that answered, after redirects.
    pub final_url: Option<String>,
    /// The proxy the request went through.
    pub proxy: Option<String>,
    /// Each redirect followed.
    pub redirects: Vec<Redirect>,
    /// The certificate the server presented, over https.
    pub tls: Option<Certificate>,
    /// Where the request's time went.
    pub timing: Option<TimingFacts>,
}

/// What `steps.ID.timing` holds: each phase of the request, named as
/// `timing:` expectations name it, in milliseconds (a duration, as
/// `steps.ID.duration` is: `> "300ms"` compares with it); a phase that did
/// not happen is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingFacts {
    /// Resolving the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<u64>,
    /// Opening the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<u64>,
    /// The TLS handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<u64>,
    /// From the ready connection to the answer's first byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte: Option<u64>,
}

impl From<HttpTiming> for TimingFacts {
    fn from(timing: HttpTiming) -> Self {
        let HttpTiming { dns_ms, connect_ms, tls_ms, first_byte_ms } = timing;
        Self { dns: dns_ms, connect: connect_ms, tls: tls_ms, first_byte: first_byte_ms }
    }
}

impl HttpObservation {
    /// What `steps.ID` holds of it.
    pub(crate) fn step_facts(&self) -> HttpFacts {
        HttpFacts {
            status: self.status,
            headers: self.headers.iter().cloned().collect(),
            json: serde_json::from_str::<Value>(&self.body.document()).ok().filter(|_| self.body.is_complete()),
            body: self.body.as_read(),
            body_dropped_bytes: self.body.dropped_bytes,
            final_url: self.final_url.clone(),
            proxy: self.proxy.clone(),
            redirects: self.redirects.clone(),
            tls: self.tls.clone(),
            timing: self.timing.map(TimingFacts::from),
        }
    }
}

impl Redact for HttpFacts {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { status: _, headers, json, body, body_dropped_bytes: _, final_url, proxy, redirects, tls, timing: _ } =
            self;
        headers.redact(redactor);
        json.redact(redactor);
        body.redact(redactor);
        final_url.redact(redactor);
        proxy.redact(redactor);
        redirects.redact(redactor);
        tls.redact(redactor);
    }
}

impl Redact for Redirect {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { status: _, to, proxy } = self;
        to.redact(redactor);
        proxy.redact(redactor);
    }
}

impl Redact for Certificate {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { issuer, subject, not_before, not_after, days_left: _ } = self;
        issuer.redact(redactor);
        subject.redact(redactor);
        not_before.redact(redactor);
        not_after.redact(redactor);
    }
}

impl Observed for HttpObservation {
    fn duration(&self) -> Duration {
        self.duration
    }

    fn take_no_time(&mut self) {
        self.duration = Duration::ZERO;
        self.timing = self.timing.map(HttpTiming::none_taken);
    }

    fn error(&self) -> Option<&ProbeError> {
        self.error.as_ref()
    }

    /// Every text it kept, header names included (a service may put a
    /// token in one), as its `steps.ID` facts are redacted ([`HttpFacts`]'s
    /// `Redact`): the journal leaves those facts out where they are the
    /// same, so the two are redacted alike.
    fn redact(&mut self, redactor: &Redactor) -> Vec<(String, String)> {
        let Self {
            status: _,
            headers,
            body,
            final_url,
            duration: _,
            error,
            insecure: _,
            proxy,
            redirects,
            tls,
            timing: _,
        } = self;
        for (name, value) in headers {
            redactor.in_place(name);
            redactor.in_place(value);
        }
        final_url.redact(redactor);
        error.redact(redactor);
        proxy.redact(redactor);
        redirects.redact(redactor);
        tls.redact(redactor);
        body.redact(redactor)
    }

    fn outputs(&self) -> Vec<(&'static str, &Captured)> {
        vec![("body", &self.body)]
    }

    fn subject(&self, subject: Subject, expectation: &Expectation) -> Option<(String, Option<Value>)> {
        Some(match subject {
            Subject::Status => (subject.name().to_owned(), self.status.map(Value::from)),
            Subject::Header => {
                let wanted = expectation.header.as_ref().map(|h| h.to_lowercase()).unwrap_or_default();
                let value = self.headers.iter().find(|(key, _)| *key == wanted).map(|(_, v)| Value::from(v.as_str()));
                (format!("header {wanted}"), value)
            }
            Subject::Tls => match expectation.tls.as_ref().map(|f| f.value) {
                Some(fact) => (format!("tls {}", fact.name()), self.tls.as_ref().map(|tls| tls.fact(fact))),
                None => ("tls".to_owned(), None),
            },
            Subject::Timing => match expectation.timing.as_ref().map(|p| p.value) {
                Some(phase) => {
                    let ms = self.timing.as_ref().and_then(|timing| timing.phase(phase));
                    (format!("timing {}", phase.name()), ms.map(Value::from))
                }
                None => ("timing".to_owned(), None),
            },
            _ => return None,
        })
    }

    fn capture(&self, capture: &Capture) -> Option<Value> {
        if let Some(name) = &capture.header {
            let name = name.to_lowercase();
            return self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| Value::from(value.as_str()));
        }
        if let Some(fact) = &capture.tls {
            return self.tls.as_ref().map(|tls| tls.fact(fact.value));
        }
        if capture.body.is_some() {
            return heard(&self.body, self.error.as_ref()).then(|| Value::from(self.body.as_read()));
        }
        if capture.status.is_some() {
            return self.status.map(Value::from);
        }
        None
    }

    /// Status, final URL, time taken, TLS checks when they were off, the
    /// phases, the proxy, each redirect, the server's certificate.
    fn facts(&self) -> Vec<String> {
        let mut facts = Vec::new();
        facts.extend(self.status.map(|status| format!("status {status}")));
        // The server chose it (its `Location`): a code span keeps it from
        // drawing links or images.
        facts.extend(self.final_url.as_ref().map(|url| format!("final_url {}", code(url))));
        facts.push(format!("in {}", took(self.duration)));
        if self.insecure {
            facts.push("TLS certificate checks OFF".into());
        }
        facts.extend(self.timing_text());
        if let Some(proxy) = &self.proxy {
            facts.push(format!("via proxy {proxy}"));
        }
        for hop in &self.redirects {
            let via = self.route(hop).map(|route| format!(" {route}")).unwrap_or_default();
            facts.push(format!("redirected ({}) to {}{via}", hop.status, code(&hop.to)));
        }
        if let Some(certificate) = &self.tls {
            // Names come from the server: code spans keep them from
            // drawing Markdown.
            facts.push(format!(
                "certificate for {} issued by {}, valid until {} ({})",
                code(&certificate.subject),
                code(&certificate.issuer),
                code(&certificate.not_after),
                days_left(certificate.days_left)
            ));
        }
        facts
    }

    fn headline(&self) -> Option<String> {
        self.status.map(|status| format!("{status} in {}", took(self.duration)))
    }

    /// A mock answers from the probe's own URL unless told: only a
    /// redirect's end is written down.
    fn as_mock(&self, target: &str) -> Value {
        let headers: Map<String, Value> =
            self.headers.iter().map(|(name, value)| (name.clone(), Value::from(value.as_str()))).collect();
        let mut http = serde_json::json!({
            "status": self.status,
            "headers": headers,
            "body": self.body.text(),
            "duration": format!("{}ms", millis(self.duration)),
        });
        let requested = target.split_once(' ').map_or(target, |(_, url)| url);
        if let Some(url) = self.final_url.as_deref().filter(|url| *url != requested) {
            http["final_url"] = Value::from(url);
        }
        // What `tls:` and `timing:` expectations read, so that the case
        // routes as the incident did.
        if let Some(certificate) = &self.tls {
            http["tls"] = serde_json::json!({
                "days_left": certificate.days_left,
                "issuer": certificate.issuer,
                "subject": certificate.subject,
                "not_before": certificate.not_before,
                "not_after": certificate.not_after,
            });
        }
        let phases = self.timing.iter().flat_map(HttpTiming::phases);
        let timing: Map<String, Value> = phases
            .filter_map(|(phase, ms)| Some((phase.name().to_owned(), Value::from(format!("{}ms", ms?)))))
            .collect();
        if !timing.is_empty() {
            http["timing"] = Value::Object(timing);
        }
        serde_json::json!({ "http": http })
    }
}

/// Limit on an HTTP exchange when the runbook gives none.
const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Renders an `http` probe into a request; `fresh_connection` when its
/// expectations read a phase only a new connection has; `at` is when, on
/// the run's clock, its certificate is judged.
pub(crate) fn prepare(
    http: &HttpProbe,
    fresh_connection: bool,
    renderer: &Renderer<'_>,
    client: &HttpClient,
    redactor: &Redactor,
    at: SystemTime,
) -> Result<Prepared, RenderError> {
    let method = http.method.as_ref().map_or(runbook_model::Method::Get, |m| m.value);
    let method = format!("{method:?}").to_uppercase();
    let url = renderer.url("http.url", &http.url)?;
    let headers = http
        .headers
        .iter()
        .map(|(name, value)| Ok((name.value.clone(), renderer.text(&format!("http.headers.{}", name.value), value)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let (body, json_body) = match (&http.json, &http.body) {
        (Some(json), _) => {
            let document = renderer.value("http.json", json)?;
            (Some(serde_json::to_vec(&document).unwrap_or_default()), true)
        }
        (None, Some(body)) => (Some(renderer.text("http.body", body)?.into_bytes()), false),
        (None, None) => (None, false),
    };
    let tls = http.tls.as_ref();
    let target = format!("{method} {url}");
    let timeout = http.timeout.as_ref().map_or(DEFAULT_HTTP_TIMEOUT, |t| t.0);
    let holds_secret = |text: &str| redactor.text(text) != text;
    let secret_parts = SecretParts {
        headers: headers.iter().filter(|(_, value)| holds_secret(value)).map(|(name, _)| name.to_lowercase()).collect(),
        body: body.as_ref().is_some_and(|body| holds_secret(&String::from_utf8_lossy(body))),
    };
    let spec = HttpSpec {
        method,
        url,
        headers,
        body,
        json_body,
        timeout,
        connect_timeout: http.connect_timeout.as_ref().map(|t| t.0),
        follow_redirects: http.follow_redirects.unwrap_or(true),
        insecure: tls.and_then(|t| t.insecure.as_ref()).is_some_and(|i| i.value),
        ca_file: match tls.and_then(|t| t.ca_file.as_ref()) {
            Some(path) => Some(renderer.text("http.tls.ca_file", path)?.into()),
            None => None,
        },
        proxy: match &http.proxy {
            None => ProxySetting::Environment,
            // Its values are encoded where they land, as the URL's are: a
            // tenant in the proxy's host never sends the request elsewhere.
            Some(proxy) => match renderer.url("http.proxy", proxy)? {
                text if text.trim() == "none" => ProxySetting::Direct,
                text => ProxySetting::Url(text),
            },
        },
        secret_parts,
        fresh_connection,
        at,
        client: client.clone(),
    };
    Ok(Prepared { kind: ProbeKind::Http, target, probe: Arc::new(spec), timeout: Some(timeout) })
}

/// What a person calls the parts of an HTTP request.
pub(crate) const PARTS: super::Parts = super::Parts { text: "the body", took: "the response" };

/// `text` with each `{{ '{' }}` (how a template writes a brace that would
/// otherwise open one, as `runbook new --from-curl` writes it) as the `{`
/// it sends: a reader types the brace, not the template.
fn literal_braces(text: &str) -> String {
    text.replace("{{ '{' }}", "{").replace("{{ \"{\" }}", "{")
}

/// `text` without its `{{ … }}` and `{% … %}` parts, but for the brace a
/// `{{ '{' }}` writes.
fn outside_templates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        out.push_str(&rest[..at]);
        let close = if rest[at..].starts_with("{{") { "}}" } else { "%}" };
        let Some(end) = rest[at + 2..].find(close) else {
            rest = &rest[at..];
            break;
        };
        if matches!(rest[at + 2..at + 2 + end].trim(), "'{'" | "\"{\"") {
            out.push('{');
        }
        rest = &rest[at + 2 + end + 2..];
    }
    out.push_str(rest);
    out
}

/// How a person sends the same request by hand (`runbook render`): a
/// curl command line, its status and time on the last line, and, when
/// `timed` (expectations judge the phases), when each phase ended; with
/// `certificate` (expectations judge it), `-v`, which shows it. A password
/// written in the URL or the proxy is never printed: curl asks for it.
pub(crate) fn by_hand(http: &HttpProbe, timed: bool, certificate: bool) -> String {
    let mut words = vec!["curl".to_owned(), "-sS".to_owned()];
    if certificate {
        words.push("-v".to_owned());
    }
    if http.follow_redirects != Some(false) {
        words.push("-L".to_owned());
    }
    let sends_data = http.body.is_some() || http.json.is_some();
    match http.method.as_ref().map(|method| method.value) {
        // `-X HEAD` makes curl wait for the body the headers announce.
        Some(Method::Head) => words.push("-I".to_owned()),
        // curl sends data with POST; `-X POST` would also keep POST after a
        // redirect, where the probe (and curl without it) follows with GET.
        Some(Method::Post) if sends_data => {}
        Some(method) => words.extend(["-X".to_owned(), format!("{method:?}").to_uppercase()]),
        None => {}
    }
    for (name, value) in &http.headers {
        words.extend(["-H".to_owned(), shell_word(&literal_braces(&format!("{}: {}", name.value, value.value)))]);
    }
    let has = |header: &str| http.headers.keys().any(|name| name.value.eq_ignore_ascii_case(header));
    // curl adds a form `Content-Type` to data, and `Accept:
    // application/json` to `--json`; the probe sends neither.
    if http.body.is_some() && !has("content-type") {
        words.extend(["-H".to_owned(), shell_word("Content-Type:")]);
    }
    if http.json.is_some() && !has("accept") {
        words.extend(["-H".to_owned(), shell_word("Accept: */*")]);
    }
    if let Some(body) = &http.body {
        words.extend(["--data-raw".to_owned(), shell_word(&literal_braces(&body.value))]);
    }
    if let Some(json) = &http.json {
        words.extend(["--json".to_owned(), shell_word(&json.value.to_string())]);
    }
    let timeout = http.timeout.as_ref().map_or(runbook_model::Duration(DEFAULT_HTTP_TIMEOUT), |t| t.value);
    words.extend(["--max-time".to_owned(), seconds(timeout)]);
    if let Some(timeout) = &http.connect_timeout {
        words.extend(["--connect-timeout".to_owned(), seconds(timeout.value)]);
    }
    let proxy = http.proxy.as_ref().map(|proxy| proxy.value.trim()).filter(|proxy| !proxy.is_empty());
    // The probe judges an https proxy's certificate as the service's; curl
    // needs its `--proxy-…` options for that (harmless for an http proxy,
    // left out when the proxy is one).
    let https_proxy = proxy.is_some_and(|proxy| proxy != "none" && !proxy.to_ascii_lowercase().starts_with("http://"));
    if let Some(tls) = &http.tls {
        if tls.value.insecure.as_ref().is_some_and(|i| i.value) {
            words.push("--insecure".to_owned());
            if https_proxy {
                words.push("--proxy-insecure".to_owned());
            }
        }
        if let Some(ca) = &tls.value.ca_file {
            words.extend(["--cacert".to_owned(), shell_word(&ca.value)]);
            if https_proxy {
                words.extend(["--proxy-cacert".to_owned(), shell_word(&ca.value)]);
            }
        }
    }
    match proxy {
        // curl reads the same proxy variables; `none` must not.
        Some("none") => words.extend(["--noproxy".to_owned(), shell_word("*")]),
        Some(proxy) => match without_password(proxy) {
            Some((proxy, user)) => {
                words.extend(["--proxy".to_owned(), shell_word(&proxy), "--proxy-user".to_owned(), shell_word(&user)]);
            }
            None => words.extend(["--proxy".to_owned(), shell_word(proxy)]),
        },
        None => {}
    }
    let url = match without_password(&http.url.value) {
        Some((url, user)) => {
            words.extend(["--user".to_owned(), shell_word(&user)]);
            url
        }
        None => http.url.value.clone(),
    };
    // curl's phase times count from the start: each is when a phase ended
    // (`ready`: the connection could carry the request).
    let written = if timed {
        "\\n%{http_code} in %{time_total}s (since the start: dns %{time_namelookup}s, connected \
         %{time_connect}s, tls %{time_appconnect}s, ready %{time_pretransfer}s, first byte \
         %{time_starttransfer}s)\\n"
    } else {
        "\\n%{http_code} in %{time_total}s\\n"
    };
    words.extend(["-w".to_owned(), shell_word(written)]);
    let url = literal_braces(&url);
    // curl reads `{a,b}` and `[1-3]` in a URL as a pattern of several URLs
    // (the `{{ … }}` of a template are filled in before it runs).
    if outside_templates(&http.url.value).contains(['{', '}', '[', ']']) {
        words.push("-g".to_owned());
    }
    words.push(shell_word(&url));
    let mut text = format!("```sh\n{}\n```\n\n", words.join(" "));
    if timed {
        let _ = writeln!(
            text,
            "curl's last line says when each phase ended, in seconds since the start; the runbook times each \
             phase alone: looking up the name is {}, opening the connection {}, the TLS handshake {} (https \
             only), waiting for the first byte {}.\n",
            timing_by_hand(TimingPhase::Dns),
            timing_by_hand(TimingPhase::Connect),
            timing_by_hand(TimingPhase::Tls),
            timing_by_hand(TimingPhase::FirstByte),
        );
    }
    if certificate {
        text.push_str(
            "`-v` shows the certificate the server presented: its `subject:`, `issuer:` and `expire date:` \
             lines.\n\n",
        );
    }
    // A JSON value that is one whole template keeps the type it renders
    // to: the probe sends `"replicas": 3`, the line above shows it quoted.
    let mut typed = Vec::new();
    if let Some(json) = &http.json {
        whole_templates(&json.value, &mut typed);
    }
    if let Some(first) = typed.first() {
        let _ = writeln!(
            text,
            "In the JSON body, {} is sent with the type of its value: a number, a boolean, a list or a map \
             goes without the quotes shown above.\n",
            if typed.len() == 1 { code(first) } else { format!("{} (and the other whole templates)", code(first)) }
        );
    }
    text
}

/// How a person reads the time of `phase` off the last line of the curl
/// command `by_hand` writes, where curl gives when each phase ended,
/// counted from the start, and the probe times each phase alone: a slow
/// handshake is in curl's `first byte`, not in the probe's.
pub fn timing_by_hand(phase: TimingPhase) -> &'static str {
    match phase {
        TimingPhase::Dns => "`dns`",
        TimingPhase::Connect => "`connected` − `dns`",
        TimingPhase::Tls => "`tls` − `connected`",
        TimingPhase::FirstByte => "`first byte` − `ready`",
    }
}

/// `url` without the password of its user info, and the user name for
/// curl to ask the password of (`--user ops`), when the password is
/// written in it: a run redacts it, so a rendered document must not show
/// it either. A templated password (`{{ inputs.pw | urlencode }}`) is
/// shown as the template it is.
fn without_password(url: &str) -> Option<(String, String)> {
    let after_scheme = url.find("://")? + 3;
    let authority_end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |end| after_scheme + end);
    let at = url[after_scheme..authority_end].rfind('@')? + after_scheme;
    let (user, password) = url[after_scheme..at].split_once(':')?;
    if password.is_empty() || password.contains("{{") || password.contains("{%") {
        return None;
    }
    Some((format!("{}{}", &url[..after_scheme], &url[at + 1..]), user.to_owned()))
}

/// Each string of `json` that is one whole `{{ … }}`, in order.
fn whole_templates<'j>(json: &'j Value, found: &mut Vec<&'j str>) {
    match json {
        Value::String(text) if runbook_model::whole_expression(text).is_some() => found.push(text),
        Value::Array(items) => items.iter().for_each(|item| whole_templates(item, found)),
        Value::Object(map) => map.values().for_each(|value| whole_templates(value, found)),
        _ => {}
    }
}

impl HttpObservation {
    /// A request that got no answer (`runbook test`).
    pub(crate) fn failed(call: &ProbeCall, error: ProbeError, took: Duration) -> Self {
        Self {
            status: None,
            headers: Vec::new(),
            body: Captured::new(),
            final_url: None,
            duration: took,
            error: Some(error),
            insecure: call.spec.http().is_some_and(|request| request.insecure),
            proxy: None,
            redirects: Vec::new(),
            tls: None,
            timing: None,
        }
    }
}

/// The response a mocked exchange gives, as the real probe would report
/// it: a timeout at the probe's `connect_timeout` when resolving,
/// connecting and the handshake take longer (that limit covers them all);
/// else the mocked response, from the probe's own URL unless the case
/// names a `final_url`, taking at least as long as its phases (so that
/// phases past the probe's `timeout` end it there, as for real).
pub(crate) fn mocked(http: &HttpMock, call: &ProbeCall) -> HttpObservation {
    let request = call.spec.http();
    // A request judging or reading a phase opens its own connection: over
    // https it always had a handshake, as real.
    let handshake = request.is_some_and(|request| {
        request.fresh_connection && reqwest::Url::parse(&request.url).is_ok_and(|url| url.scheme() == "https")
    });
    let timing = mocked_timing(http, handshake);
    let ms = |phase: Option<u64>| Duration::from_millis(phase.unwrap_or(0));
    let connected = ms(timing.dns_ms) + ms(timing.connect_ms);
    let opened = connected + ms(timing.tls_ms);
    if let Some(limit) = request.and_then(|request| request.connect_timeout).filter(|limit| opened > *limit) {
        let limit_text = super::human(limit);
        let message = if connected > limit {
            format!("no connection within {limit_text} (mocked connect)")
        } else {
            format!("tls handshake did not finish within the connect_timeout {limit_text} (mocked tls)")
        };
        let error = ProbeError::new(ErrorKind::Timeout, message);
        return HttpObservation::failed(call, error, limit);
    }
    let mut observation = from_mock(http, timing);
    observation.duration = observation.duration.max(opened + ms(timing.first_byte_ms));
    observation.insecure = request.is_some_and(|request| request.insecure);
    observation.final_url = match (&http.final_url, request) {
        (Some(url), _) => Some(url.value.clone()),
        // The real probe reports the URL as parsed, normalized.
        (None, Some(request)) => {
            Some(reqwest::Url::parse(&request.url).map_or_else(|_| request.url.clone(), |url| url.to_string()))
        }
        (None, None) => None,
    };
    observation
}

fn from_mock(http: &HttpMock, timing: HttpTiming) -> HttpObservation {
    let mut headers: Vec<(String, String)> =
        http.headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), value.clone())).collect();
    let body = match (&http.json, &http.body) {
        (Some(json), _) => {
            if !headers.iter().any(|(name, _)| name == "content-type") {
                headers.push(("content-type".into(), "application/json".into()));
            }
            json.value.to_string()
        }
        (None, Some(body)) => body.value.clone(),
        (None, None) => String::new(),
    };
    HttpObservation {
        status: Some(http.status.as_ref().map_or(200, |status| status.value)),
        headers,
        body: mocked_text(&body),
        final_url: None,
        duration: mocked_duration(http.duration.as_ref()),
        error: None,
        insecure: false,
        proxy: None,
        redirects: Vec::new(),
        tls: http.tls.as_ref().map(|tls| Certificate {
            issuer: tls.issuer.clone(),
            subject: tls.subject.clone(),
            not_before: tls.not_before.clone(),
            not_after: tls.not_after.clone(),
            days_left: tls.days_left,
        }),
        timing: Some(timing),
    }
}

/// The phases of a mocked answer: as the case gives them; an answer came,
/// so its first byte did too, by default what the `duration` leaves after
/// resolving, connecting and the handshake (a real answer always has one),
/// and one with a certificate (`tls:`) had a handshake, by default `0ms`.
fn mocked_timing(http: &HttpMock, handshake: bool) -> HttpTiming {
    let ms = |value: Option<&Spanned<runbook_model::Duration>>| value.map(|d| millis(d.value.0));
    let timing = http.timing.clone().unwrap_or_default();
    let dns_ms = ms(timing.dns.as_ref());
    let connect_ms = ms(timing.connect.as_ref().or(http.connect.as_ref())).or(handshake.then_some(0));
    let tls_ms = ms(timing.tls.as_ref()).or_else(|| (handshake || http.tls.is_some()).then_some(0));
    let before = dns_ms.unwrap_or(0) + connect_ms.unwrap_or(0) + tls_ms.unwrap_or(0);
    let first_byte_ms =
        ms(timing.first_byte.as_ref()).or_else(|| Some(ms(http.duration.as_ref()).unwrap_or(0).saturating_sub(before)));
    HttpTiming { dns_ms, connect_ms, tls_ms, first_byte_ms }
}

/// A certificate's `days_left` in words: `days_left` is a floor, so
/// `-11` means it expired between 10 and 11 days ago.
fn days_left(days: i64) -> String {
    match days {
        1 => "1 day left".to_owned(),
        0.. => format!("{days} days left"),
        -1 => "expired less than a day ago".to_owned(),
        -2 => "expired 1 day ago".to_owned(),
        _ => format!("expired {} days ago", -days - 1),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use runbook_model::ProbeKind;

    use super::*;
    use crate::probe::{HttpClient, HttpSpec, Observation, ProxySetting, SecretParts};

    fn call(insecure: bool) -> ProbeCall {
        let spec = HttpSpec {
            method: "GET".into(),
            url: "http://127.0.0.1:9".into(),
            headers: Vec::new(),
            body: None,
            json_body: false,
            timeout: Duration::from_secs(5),
            connect_timeout: Some(Duration::from_secs(1)),
            follow_redirects: true,
            insecure,
            ca_file: None,
            proxy: ProxySetting::Direct,
            secret_parts: SecretParts::default(),
            fresh_connection: false,
            at: std::time::UNIX_EPOCH,
            client: HttpClient::new(),
        };
        ProbeCall {
            step: "login".into(),
            name: None,
            item: None,
            repeat: 0,
            attempt: 1,
            kind: ProbeKind::Http,
            target: "GET http://127.0.0.1:9".into(),
            spec: Arc::new(spec),
            timeout: Some(Duration::from_secs(5)),
        }
    }

    #[test]
    fn a_mocked_response_reports_the_probes_url_and_tls_setting() {
        let mock = HttpMock::default();
        for insecure in [false, true] {
            let observation = mocked(&mock, &call(insecure));
            assert_eq!(observation.insecure, insecure);
            // Normalized as the real probe reports it.
            assert_eq!(observation.final_url.as_deref(), Some("http://127.0.0.1:9/"));
            let error = HttpObservation::failed(
                &call(insecure),
                ProbeError::new(ErrorKind::Refused, "refused"),
                Duration::ZERO,
            );
            assert_eq!(error.insecure, insecure);
        }
    }

    #[test]
    fn a_recorded_response_mocks_back_to_the_same_certificate_and_phases() {
        let mut observation =
            HttpObservation::failed(&call(false), ProbeError::new(ErrorKind::Io, "x"), Duration::ZERO);
        observation.error = None;
        observation.status = Some(200);
        observation.tls = Some(Certificate {
            issuer: "CN=Internal CA".into(),
            subject: "CN=api".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2026-12-01T00:00:00Z".into(),
            days_left: 3,
        });
        observation.timing =
            Some(HttpTiming { dns_ms: Some(4), connect_ms: Some(20), tls_ms: Some(150), first_byte_ms: Some(900) });
        let written = observation.as_mock("GET http://127.0.0.1:9/");
        let mock: HttpMock = serde_saphyr::from_str(&written["http"].to_string()).unwrap();
        let replayed = mocked(&mock, &call(false));
        assert_eq!(
            replayed.tls.map(|tls| (tls.issuer, tls.subject, tls.not_after, tls.days_left)),
            Some(("CN=Internal CA".to_owned(), "CN=api".to_owned(), "2026-12-01T00:00:00Z".to_owned(), 3))
        );
        let timing = replayed.timing.expect("phases");
        assert_eq!(
            timing,
            HttpTiming { dns_ms: Some(4), connect_ms: Some(20), tls_ms: Some(150), first_byte_ms: Some(900) }
        );
    }

    #[test]
    fn a_mocked_certificate_is_read_by_tls_expectations() {
        let mock: HttpMock = serde_saphyr::from_str("tls: { days_left: 3, issuer: CN=Internal CA }").unwrap();
        let observation = Observation::Http(mocked(&mock, &call(false)));
        let judged = |yaml: &str| {
            let expectation: runbook_model::Expectation = serde_saphyr::from_str(yaml).unwrap();
            crate::expect::evaluate(&expectation, &observation).unwrap()[0].passed
        };
        assert!(!judged("{ tls: days_left, ge: 14 }"));
        assert!(judged("{ tls: issuer, eq: CN=Internal CA }"));
        let plain = Observation::Http(mocked(&HttpMock::default(), &call(false)));
        let expectation: runbook_model::Expectation =
            serde_saphyr::from_str("{ tls: days_left, exists: false }").unwrap();
        assert!(crate::expect::evaluate(&expectation, &plain).unwrap()[0].passed);
    }

    #[test]
    fn connecting_past_connect_timeout_times_out_at_it() {
        let mock = HttpMock {
            connect: Some(Spanned::new(
                runbook_model::Duration(Duration::from_millis(1500)),
                runbook_model::Span::default(),
            )),
            ..HttpMock::default()
        };
        let observation = mocked(&mock, &call(false));
        assert_eq!(observation.error.as_ref().map(|e| e.kind), Some(ErrorKind::Timeout));
        assert_eq!(observation.duration, Duration::from_secs(1));
        assert_eq!(observation.status, None);
    }

    #[test]
    fn an_expired_certificate_says_how_long_ago() {
        let said: Vec<String> = [30, 1, 0, -1, -2, -11].into_iter().map(days_left).collect();
        assert_eq!(
            said,
            [
                "30 days left",
                "1 day left",
                "0 days left",
                "expired less than a day ago",
                "expired 1 day ago",
                "expired 10 days ago"
            ]
        );
    }
}
