//! `timing:` expectations that judge the same on every run of a probe
//! whose URL is literal (RB218): a phase the request never has (`tls` over
//! plain `http://`, `dns` for an IP address), which has no value and so
//! fails every comparison, or a phase longer than the probe's own limit,
//! past which the probe ends `error (timeout)` and nothing is judged. The
//! branch the expectation selects is then decided before the run.

use crate::{Check, Code, Diagnostic, Expectation, HttpProbe, Runbook, Spanned, TimingPhase};

/// The limit on the whole exchange when the probe gives none.
const DEFAULT_HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter() {
        if let Some(check) = step.probing() {
            probes(check, out);
        }
        if let Some(action) = &step.action
            && let Some(http) = &action.http
        {
            judged(http, &action.expect, out);
        }
    }
}

fn probes(check: &Check, out: &mut Vec<Diagnostic>) {
    if let Some(http) = &check.http {
        judged(http, &check.expect, out);
    }
    for member in check.probes.iter().flat_map(|group| group.values()) {
        probes(member, out);
    }
}

fn judged(http: &HttpProbe, expect: &[Spanned<Expectation>], out: &mut Vec<Diagnostic>) {
    for expectation in expect {
        let Some(phase) = &expectation.timing else { continue };
        // `exists: false` is what a phase that never happens is judged by.
        if expectation.exists.as_ref().is_some_and(|exists| !exists.value) {
            continue;
        }
        if let Some(diagnostic) = never_measured(http, phase).or_else(|| past_the_limit(http, expectation, phase)) {
            out.push(diagnostic);
        }
    }
}

/// A phase the request to the literal URL never has, directly or through
/// the literal `proxy:` (a proxy from the environment is not known here).
fn never_measured(http: &HttpProbe, phase: &Spanned<TimingPhase>) -> Option<Diagnostic> {
    let url = http.url.as_str();
    if url.contains("{{") {
        return None;
    }
    let proxy = http.proxy.as_ref().map(|proxy| proxy.as_str());
    let why = phase.value.never_for(url, proxy)?;
    let fix = match phase.value {
        TimingPhase::Tls => "make the URL https://",
        _ if proxy.is_some_and(|proxy| proxy != "none") => "judge it with `proxy: none`, or name the proxy by its host",
        _ => "use the host's name",
    };
    let name = phase.value.name();
    let through = proxy.filter(|proxy| *proxy != "none").map(|proxy| format!(" through `{proxy}`")).unwrap_or_default();
    Some(
        Diagnostic::new(
            Code::TimingNeverHolds,
            phase.span,
            format!("a request to `{url}`{through} never has a `{name}` phase: {why}"),
        )
        .with_label("no value to judge on any run: only `exists: false` holds")
        .with_help(format!("remove this expectation, or {fix}")),
    )
}

/// A comparison the phase can only meet past the probe's literal
/// `timeout` (or, for resolving, connecting and the handshake, its
/// `connect_timeout`), where the probe gives up with `error` instead: a
/// `gt` or `ge`, an `eq`, or an `in` whose every value is at or past it.
fn past_the_limit(http: &HttpProbe, expectation: &Expectation, phase: &Spanned<TimingPhase>) -> Option<Diagnostic> {
    let timeout = http.timeout.as_ref().map_or(DEFAULT_HTTP_TIMEOUT, |timeout| timeout.value.0);
    let connect_timeout = http.connect_timeout.as_ref().map(|limit| limit.value.0);
    let (limit, which) = match connect_timeout {
        Some(limit) if phase.value != TimingPhase::FirstByte && limit < timeout => (limit, "connect_timeout"),
        _ => (timeout, "timeout"),
    };
    let time = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => crate::Duration::parse(text).ok().map(|duration| duration.0),
        serde_json::Value::Number(ms) => ms.as_u64().map(std::time::Duration::from_millis),
        _ => None,
    };
    let single = [("gt", &expectation.gt), ("ge", &expectation.ge), ("eq", &expectation.eq)]
        .into_iter()
        .find_map(|(op, value)| value.as_ref().map(|value| (op, value.span, time(&value.value))));
    let (op, span, wanted) = match (single, &expectation.in_) {
        (Some((op, span, wanted)), _) => (op, span, format!("{}", crate::Duration(wanted?))),
        (None, Some(values)) => {
            let times = values.value.iter().map(time).collect::<Option<Vec<_>>>()?;
            let least = times.iter().min()?;
            if *least < limit {
                return None;
            }
            let listed: Vec<String> = times.iter().map(|time| crate::Duration(*time).to_string()).collect();
            ("in", values.span, format!("[{}]", listed.join(", ")))
        }
        (None, None) => return None,
    };
    if let Some((_, _, Some(wanted))) = single
        && wanted < limit
    {
        return None;
    }
    let name = phase.value.name();
    Some(
        Diagnostic::new(
            Code::TimingNeverHolds,
            span,
            format!(
                "`timing: {name}` {op} {wanted} never holds: the probe's {which} is {}, past which it ends `error \
                 (timeout)` and nothing is judged",
                crate::Duration(limit)
            ),
        )
        .with_label(format!("longer than the probe's {which}"))
        .with_help(format!(
            "route `error` for a phase that slow, or compare with a time under {}",
            crate::Duration(limit)
        )),
    )
}
