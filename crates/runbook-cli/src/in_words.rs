//! What a runbook's expectations, captures and retries mean, in words, for
//! `runbook render`: a colleague reads "the status is 200 or 429", not
//! `status: { in: [200, 429] }`. Values an author wrote stay exact, in code
//! spans, so nothing in them is read as Markdown.

use std::fmt::Write as _;

use runbook_engine::probe::{Parts, timing_by_hand};
/// `text` as a Markdown code span nothing in it can close.
pub(crate) use runbook_engine::record::markdown_code as code;
use runbook_model::{
    Capture, CaptureType, CertificateFact, Duration, Expectation, Expected, Outcome, Retry, Subject, TimingPhase,
};
use serde_json::Value;

/// Words for a probe whose kind is not known (a group of several).
const ANY_PROBE: Parts = Parts { text: "the output", took: "it" };

/// When `expectation` holds: "the status is 200 or 429". `parts` names
/// what the probe it judges reads (`json` reads a body or an output).
pub(crate) fn holds(expectation: &Expectation, parts: Option<Parts>) -> String {
    claim(expectation, parts.unwrap_or(ANY_PROBE), false)
}

/// When `expectation` does not hold: "the response takes 500ms or more".
pub(crate) fn fails(expectation: &Expectation, parts: Option<Parts>) -> String {
    claim(expectation, parts.unwrap_or(ANY_PROBE), true)
}

/// Where a capture's value comes from and what it becomes: "what the regex
/// `(\d+)%` finds in the standard output (the part in its first
/// parentheses), as a whole number".
pub(crate) fn captured(capture: &Capture, parts: Option<Parts>) -> String {
    let parts = parts.unwrap_or(ANY_PROBE);
    let mut text = if let Some(path) = &capture.json {
        format!("{} in {}", code(path.value.as_str()), parts.text)
    } else if let Some(pattern) = &capture.regex {
        let group = if pattern.value.regex().is_some_and(|regex| regex.captures_len() > 1) {
            " (the part in its first parentheses)"
        } else {
            ""
        };
        format!("what the regex {} finds in {}{group}", code(pattern.value.as_str()), parts.text)
    } else if let Some(name) = &capture.header {
        format!("the {} header", code(&name.value))
    } else if let Some(fact) = &capture.tls {
        certificate(fact.value).to_owned()
    } else if capture.stdout.is_some() {
        "the standard output".to_owned()
    } else if capture.stderr.is_some() {
        "the standard error".to_owned()
    } else if capture.body.is_some() {
        "the body".to_owned()
    } else if capture.status.is_some() {
        "the status".to_owned()
    } else {
        "nothing".to_owned()
    };
    if let Some(kind) = &capture.kind {
        text.push_str(match kind.value {
            CaptureType::String => ", as text",
            CaptureType::Int => ", as a whole number",
            CaptureType::Float => ", as a number",
            CaptureType::Bool => ", as `true` or `false`",
            CaptureType::Json => ", read as JSON",
            CaptureType::Duration => ", as a duration",
        });
    }
    if let Some(default) = &capture.default {
        let _ = write!(text, "; {} when there is nothing to capture", code(&default.value.to_string()));
    }
    text
}

/// A retry as one sentence: "Until it passes, try it up to 5 times, 2s
/// apart, the wait doubling each time up to 30s; give up after 3m."
pub(crate) fn retried(retry: &Retry) -> String {
    let until = match retry.until.as_ref().map_or(Outcome::Pass, |until| until.value) {
        Outcome::Pass => "passes",
        Outcome::Warn => "warns",
        Outcome::Fail => "fails",
        Outcome::Error => "ends in an error",
        Outcome::Skipped => "is skipped",
    };
    let times = match retry.attempts.value {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        attempts => format!("up to {attempts} times"),
    };
    let interval = retry.interval.as_ref().map_or(Duration(std::time::Duration::from_secs(1)), |i| i.value);
    let mut text = format!("Until it {until}, try it {times}, {interval} apart");
    let backoff = retry.backoff.as_ref().map_or(1.0, |backoff| backoff.value);
    if (backoff - 2.0).abs() < f64::EPSILON {
        text.push_str(", the wait doubling each time");
    } else if backoff > 1.0 {
        let _ = write!(text, ", the wait growing {backoff} times each time");
    }
    if let Some(max) = retry.max_interval.as_ref().filter(|_| backoff > 1.0) {
        let _ = write!(text, " up to {}", max.value);
    }
    let mut give_up = Vec::new();
    if let Some(deadline) = &retry.deadline {
        give_up.push(format!("after {}", deadline.value));
    }
    if let Some(stop_if) = &retry.stop_if {
        give_up.push(format!("as soon as {} holds", code(stop_if.value.trim())));
    }
    if !give_up.is_empty() {
        let _ = write!(text, "; give up {}", give_up.join(", or "));
    }
    text.push_str(". The last try's outcome picks the way on.");
    text
}

/// How a subject's value is compared: "is" for values, "takes" for times.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Is,
    Takes,
}

fn claim(expectation: &Expectation, parts: Parts, negated: bool) -> String {
    let (subject, verb) = subject(expectation, parts);
    if let Some(expected) = &expectation.connected
        && let Some(connected) = plain_bool(&expected.value)
    {
        let opens = connected != negated;
        return if opens { "the connection opens" } else { "the connection is refused or times out" }.to_owned();
    }
    let parts = match expectation.expected().map(|expected| &expected.value) {
        Some(Expected::Value(value)) => vec![compare("eq", value, verb, negated)],
        Some(Expected::Predicates(predicates)) => predicates_of(predicates, verb, negated),
        None => predicates_of(expectation, verb, negated),
    };
    let parts =
        if parts.is_empty() { vec![if negated { "is missing" } else { "is present" }.to_owned()] } else { parts };
    format!("{subject} {}", parts.join(if negated { " or " } else { " and " }))
}

/// `true` or `false` given as the value, or as `eq:`.
fn plain_bool(expected: &Expected) -> Option<bool> {
    match expected {
        Expected::Value(value) => value.as_bool(),
        Expected::Predicates(predicates) => {
            let only_eq = predicates.predicates().len() == 1;
            predicates.eq.as_ref().and_then(|eq| eq.value.as_bool()).filter(|_| only_eq)
        }
    }
}

fn subject(expectation: &Expectation, parts: Parts) -> (String, Verb) {
    if let Some(path) = &expectation.json {
        return (format!("{} in {}", code(path.value.as_str()), parts.text), Verb::Is);
    }
    if let Some(name) = &expectation.header {
        return (format!("the {} header", code(&name.value)), Verb::Is);
    }
    if let Some(fact) = &expectation.tls {
        return (certificate(fact.value).to_owned(), Verb::Is);
    }
    if let Some(phase) = &expectation.timing {
        let name = match phase.value {
            TimingPhase::Dns => "looking up the name",
            TimingPhase::Connect => "opening the connection",
            TimingPhase::Tls => "the TLS handshake",
            TimingPhase::FirstByte => "waiting for the first byte",
        };
        // The document's curl line gives when phases ended: say which
        // of its times to compare, so no reader compares curl's `first
        // byte` (which counts the handshake) with the limit.
        return (format!("{name} ({} in curl's last line)", timing_by_hand(phase.value)), Verb::Takes);
    }
    if expectation.duration.is_some() {
        return (parts.took.to_owned(), Verb::Takes);
    }
    // Every subject is named here (a new one does not compile until it is
    // worded); those with a parameter were worded above.
    let name = match expectation.subjects().first().map(|(subject, _)| *subject) {
        Some(Subject::Status) => "the status",
        Some(Subject::Body) => "the body",
        Some(Subject::ExitCode) => "the exit code",
        Some(Subject::Stdout) => "the standard output",
        Some(Subject::Stderr) => "the standard error",
        Some(Subject::Connected) => "the connection",
        Some(Subject::Json | Subject::Header | Subject::Tls | Subject::Timing | Subject::Duration) | None => {
            "the value"
        }
    };
    (name.to_owned(), Verb::Is)
}

fn certificate(fact: CertificateFact) -> &'static str {
    match fact {
        CertificateFact::Issuer => "the certificate's issuer",
        CertificateFact::Subject => "the certificate's subject",
        CertificateFact::NotBefore => "the certificate's start date",
        CertificateFact::NotAfter => "the certificate's end date",
        CertificateFact::DaysLeft => "the days left before the certificate ends",
    }
}

/// Each predicate of a map, in the order the author wrote them.
fn predicates_of(map: &Expectation, verb: Verb, negated: bool) -> Vec<String> {
    let mut parts: Vec<(usize, String)> = Vec::new();
    let values = [("eq", &map.eq), ("ne", &map.ne), ("lt", &map.lt), ("le", &map.le), ("gt", &map.gt), ("ge", &map.ge)];
    for (name, value) in values {
        if let Some(value) = value {
            parts.push((value.span.start, compare(name, &value.value, verb, negated)));
        }
    }
    if let Some(list) = &map.in_ {
        parts.push((list.span.start, one_of(&list.value, verb, negated)));
    }
    if let Some(list) = &map.not_in {
        parts.push((list.span.start, one_of(&list.value, verb, !negated)));
    }
    if let Some(value) = &map.contains {
        let verb_phrase = if negated { "does not contain" } else { "contains" };
        parts.push((value.span.start, format!("{verb_phrase} {}", shown(&value.value, verb))));
    }
    let texts =
        [(&map.starts_with, "starts with", "does not start with"), (&map.ends_with, "ends with", "does not end with")];
    for (text, yes, no) in texts {
        if let Some(text) = text {
            let quoted = code(&Value::from(text.value.as_str()).to_string());
            parts.push((text.span.start, format!("{} {quoted}", if negated { no } else { yes })));
        }
    }
    if let Some(pattern) = &map.matches {
        let regex = code(pattern.value.as_str());
        parts.push((
            pattern.span.start,
            format!("{} the regex {regex}", if negated { "does not match" } else { "matches" }),
        ));
    }
    let flags = [
        (&map.exists, "is present", "is missing"),
        (&map.absent, "is missing", "is present"),
        (&map.empty, "is empty", "is not empty"),
        (&map.non_empty, "is not empty", "is empty"),
    ];
    for (flag, yes, no) in flags {
        if let Some(flag) = flag {
            parts.push((flag.span.start, if flag.value == negated { no } else { yes }.to_owned()));
        }
    }
    if let Some(nested) = &map.all {
        let inner = predicates_of(&nested.value, verb, negated);
        let (lead, joint) = if negated { ("some element", " or ") } else { ("every element", " and ") };
        parts.push((nested.span.start, format!("has {lead} that {}", inner.join(joint))));
    }
    if let Some(nested) = &map.any {
        let inner = predicates_of(&nested.value, verb, false);
        let lead = if negated { "no element" } else { "some element" };
        parts.push((nested.span.start, format!("has {lead} that {}", inner.join(" and "))));
    }
    parts.sort_by_key(|(start, _)| *start);
    parts.into_iter().map(|(_, part)| part).collect()
}

/// `eq`, `ne`, `lt`, `le`, `gt` or `ge` with its value, or its opposite.
fn compare(predicate: &str, value: &Value, verb: Verb, negated: bool) -> String {
    let opposite = match predicate {
        "eq" => "ne",
        "ne" => "eq",
        "lt" => "ge",
        "le" => "gt",
        "gt" => "le",
        _ => "lt",
    };
    let value = shown(value, verb);
    let phrase = match (if negated { opposite } else { predicate }, verb) {
        ("eq", Verb::Is) => "is {}",
        ("ne", Verb::Is) => "is not {}",
        ("lt", Verb::Is) => "is less than {}",
        ("le", Verb::Is) => "is at most {}",
        ("gt", Verb::Is) => "is more than {}",
        ("ge", Verb::Is) => "is at least {}",
        ("eq", Verb::Takes) => "takes exactly {}",
        ("ne", Verb::Takes) => "does not take exactly {}",
        ("lt", Verb::Takes) => "takes less than {}",
        ("le", Verb::Takes) => "takes at most {}",
        ("gt", Verb::Takes) => "takes more than {}",
        _ => "takes {} or more",
    };
    phrase.replace("{}", &value)
}

/// `in` (or, negated, `not_in`): "is 200 or 429", "is neither 502 nor 503".
fn one_of(values: &[Value], verb: Verb, negated: bool) -> String {
    let values: Vec<String> = values.iter().map(|value| shown(value, verb)).collect();
    match (values.as_slice(), negated) {
        ([], false) => "is one of an empty list".to_owned(),
        ([], true) => "is anything".to_owned(),
        ([one], false) => format!("is {one}"),
        ([one], true) => format!("is not {one}"),
        ([first, second], true) => format!("is neither {first} nor {second}"),
        ([init @ .., last], true) => format!("is none of {} or {last}", init.join(", ")),
        ([init @ .., last], false) => format!("is {} or {last}", init.join(", ")),
    }
}

/// A compared value: numbers, booleans and durations as they read, text
/// and lists quoted as JSON in a code span (so `"200"` is not `200`).
fn shown(value: &Value, verb: Verb) -> String {
    match value {
        Value::String(text) if verb == Verb::Takes && Duration::parse(text).is_ok() => text.clone(),
        Value::String(_) | Value::Array(_) | Value::Object(_) => code(&value.to_string()),
        Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTP: Parts = Parts { text: "the body", took: "the response" };
    const CMD: Parts = Parts { text: "the standard output", took: "the command" };
    const TCP: Parts = Parts { text: "nothing", took: "connecting" };

    fn expectation(yaml: &str) -> Expectation {
        serde_saphyr::from_str(yaml).expect("an expectation")
    }

    #[test]
    fn expectations_read_as_sentences_and_their_opposites() {
        let cases: [(&str, Option<Parts>, &str, &str); 12] = [
            ("status: 200", Some(HTTP), "the status is 200", "the status is not 200"),
            ("status: { in: [200, 429] }", None, "the status is 200 or 429", "the status is neither 200 nor 429"),
            (
                "status: { ge: 200, lt: 300 }",
                None,
                "the status is at least 200 and is less than 300",
                "the status is less than 200 or is at least 300",
            ),
            (
                "{ json: $.status, eq: ok }",
                Some(HTTP),
                "`$.status` in the body is `\"ok\"`",
                "`$.status` in the body is not `\"ok\"`",
            ),
            (
                "{ json: $.n, eq: \"200\" }",
                Some(CMD),
                "`$.n` in the standard output is `\"200\"`",
                "`$.n` in the standard output is not `\"200\"`",
            ),
            (
                "duration: { lt: 500ms }",
                Some(HTTP),
                "the response takes less than 500ms",
                "the response takes 500ms or more",
            ),
            (
                "{ timing: first_byte, le: 1s }",
                None,
                "waiting for the first byte (`first byte` − `ready` in curl's last line) takes at most 1s",
                "waiting for the first byte (`first byte` − `ready` in curl's last line) takes more than 1s",
            ),
            ("connected: true", Some(TCP), "the connection opens", "the connection is refused or times out"),
            (
                "header: x-request-id",
                None,
                "the `x-request-id` header is present",
                "the `x-request-id` header is missing",
            ),
            (
                "stdout: { matches: \"^v[0-9]+\" }",
                None,
                "the standard output matches the regex `^v[0-9]+`",
                "the standard output does not match the regex `^v[0-9]+`",
            ),
            (
                "{ json: \"$.checks[*].ok\", all: { eq: true } }",
                None,
                "`$.checks[*].ok` in the output has every element that is true",
                "`$.checks[*].ok` in the output has some element that is not true",
            ),
            (
                "status: { not_in: [502, 503, 504] }",
                None,
                "the status is none of 502, 503 or 504",
                "the status is 502, 503 or 504",
            ),
        ];
        for (yaml, probe, holding, failing) in cases {
            let expectation = expectation(yaml);
            assert_eq!(holds(&expectation, probe), holding, "{yaml}");
            assert_eq!(fails(&expectation, probe), failing, "{yaml}");
        }
    }

    #[test]
    fn captures_say_where_the_value_comes_from_and_what_it_becomes() {
        let capture = |yaml: &str| serde_saphyr::from_str::<Capture>(yaml).expect("a capture");
        assert_eq!(
            captured(&capture("{ regex: '(\\d+)%', type: int }"), Some(CMD)),
            "what the regex `(\\d+)%` finds in the standard output (the part in its first parentheses), as a whole number"
        );
        assert_eq!(
            captured(&capture("{ json: $.status, default: unknown }"), Some(HTTP)),
            "`$.status` in the body; `\"unknown\"` when there is nothing to capture"
        );
        assert_eq!(captured(&capture("{ header: x-request-id }"), None), "the `x-request-id` header");
        assert_eq!(captured(&capture("{ stdout: true }"), None), "the standard output");
    }

    #[test]
    fn a_retry_reads_as_one_sentence() {
        let retry = |yaml: &str| serde_saphyr::from_str::<Retry>(yaml).expect("a retry");
        assert_eq!(
            retried(&retry("{ attempts: 5, interval: 2s, backoff: 2, max_interval: 30s }")),
            "Until it passes, try it up to 5 times, 2s apart, the wait doubling each time up to 30s. The last \
             try's outcome picks the way on."
        );
        assert_eq!(
            retried(&retry(
                "{ attempts: 3, backoff: 1.5, deadline: 1m, until: warn, stop_if: 'result.outcome == \"fail\"' }"
            )),
            "Until it warns, try it up to 3 times, 1s apart, the wait growing 1.5 times each time; give up after \
             1m, or as soon as `result.outcome == \"fail\"` holds. The last try's outcome picks the way on."
        );
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
