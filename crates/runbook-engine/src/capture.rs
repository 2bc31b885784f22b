//! Captures: values kept from an observation as `vars.NAME`.

use runbook_model::Capture;
use serde_json::Value;

use crate::probe::Observation;

/// The value `capture` takes from `observation`: the source's value, else
/// the declared `default`, else `None` (the variable stays unset). A JSON
/// `null` counts as nothing, so `default` covers it too. With a `type:`, the
/// value is converted; a value that does not convert is an error saying why.
pub(crate) fn capture(capture: &Capture, observation: &Observation) -> Result<Option<Value>, String> {
    settle(capture, read(capture, observation)?)
}

/// The value the source selected before its `type:` conversion, for a
/// capture that did not convert: a secret one is learned all the same.
pub(crate) fn unconverted(capture: &Capture, observation: &Observation) -> Option<Value> {
    read(capture, observation).ok().flatten()
}

/// What `capture` takes from a probe that gave no answer (a timeout, a
/// command not found): nothing, whatever it printed before, so its
/// `default` stands in, else the variable stays unset.
pub(crate) fn nothing_captured(capture: &Capture) -> Result<Option<Value>, String> {
    settle(capture, None)
}

/// `found`, else the `default`, converted to the capture's `type:`.
fn settle(capture: &Capture, found: Option<Value>) -> Result<Option<Value>, String> {
    let value = found.filter(|value| !value.is_null()).or_else(|| capture.default.as_ref().map(|d| d.value.clone()));
    match (value, &capture.kind) {
        (Some(value), Some(kind)) => kind.value.convert(&value).map(Some).map_err(|problem| match &capture.default {
            Some(_) => format!(
                "{problem} (`default` stands in only when nothing is found, not for a value that does not convert)"
            ),
            None => problem,
        }),
        (value, _) => Ok(value),
    }
}

/// The source's value; an error when a JSONPath filter selected what it did
/// only because the document writes numbers as text.
fn read(capture: &Capture, observation: &Observation) -> Result<Option<Value>, String> {
    // The output a regex or JSON is read from (none for `tcp` and `env`).
    let observed = observation.observed();
    let text = observed.outputs().into_iter().next().map(|(_, text)| text);
    if let Some(path) = &capture.json {
        // Head and tail glued together are not the document printed.
        let Some(text) = text.filter(|text| text.is_complete()) else { return Ok(None) };
        let Ok(document) = serde_json::from_str::<Value>(&text.document()) else { return Ok(None) };
        if let Some(why) = path.numbers_written_as_text(&document) {
            return Err(why);
        }
        return Ok(path.select(&document));
    }
    if let Some(pattern) = &capture.regex {
        let (Some(regex), Some(text)) = (pattern.regex(), text) else { return Ok(None) };
        // A match lies inside the head or the tail, never across the gap;
        // the output is read without its final newline, so `$` matches at
        // the end of its last line.
        let parts = text.parts_as_read().map_or_else(|| vec![text.as_read()], Vec::from);
        // Each `\r\n` is read as `\n`: `role:(.+)` over redis-cli's
        // `role:master\r\n` is "master". A regex written for the bytes as
        // printed (`role:(\w+)\r\n`) is matched against them too.
        let found = |part: &str| {
            let captures = regex.captures(part)?;
            runbook_model::captured_group(&captures).map(|found| Value::from(found.as_str()))
        };
        let read = parts.iter().find_map(|part| found(part));
        return Ok(read.or_else(|| text.as_printed().and_then(|printed| found(&printed))));
    }
    // `check` refuses a capture the probe cannot give (RB108). A whole
    // output keeps its lines, not their `\r`: redis-cli INFO ends each with
    // `\r\n`, and `"role:master" in (vars.info | split("\n"))` must hold
    // on the primary.
    Ok(observed.capture(capture))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fixtures;

    fn http(body: &str) -> Observation {
        fixtures::http(503, body, std::time::Duration::ZERO)
    }

    fn captured(rule: &Capture, observation: &Observation) -> Option<Value> {
        capture(rule, observation).expect("no type to convert to")
    }

    fn rule(yaml: &str) -> Capture {
        serde_saphyr::from_str(yaml).expect("valid capture")
    }

    #[test]
    fn certificate_facts_are_captured_with_their_types() {
        let https = fixtures::https(-3);
        assert_eq!(captured(&rule("tls: days_left"), &https), Some(Value::from(-3)));
        assert_eq!(captured(&rule("tls: issuer"), &https), Some(Value::from("CN=Internal CA, O=Example")));
        assert_eq!(captured(&rule("tls: not_after"), &http("{}")), None);
    }

    #[test]
    fn sources_of_an_http_response() {
        let observation = http(r#"{"checks": {"db": {"ok": false}}, "error": null, "v": "1.2.3"}"#);
        assert_eq!(captured(&rule("json: $.checks.db.ok"), &observation), Some(Value::Bool(false)));
        assert_eq!(captured(&rule("json: $.checks.*.ok"), &observation), Some(Value::from(vec![false])));
        assert_eq!(captured(&rule("regex: 'v\": \"([0-9.]+)'"), &observation), Some(Value::from("1.2.3")));
        assert_eq!(captured(&rule("header: X-Request-Id"), &observation), Some(Value::from("abc")));
        assert_eq!(captured(&rule("status: true"), &observation), Some(Value::from(503)));
    }

    #[test]
    fn defaults_cover_missing_values_and_null() {
        let observation = http(r#"{"error": null}"#);
        assert_eq!(captured(&rule("json: $.nope"), &observation), None);
        assert_eq!(captured(&rule("json: $.nope\ndefault: none"), &observation), Some(Value::from("none")));
        assert_eq!(captured(&rule("json: $.error\ndefault: \"\""), &observation), Some(Value::from("")));
        assert_eq!(captured(&rule("json: $.x\ndefault: 0"), &http("<html>")), Some(Value::from(0)));
    }

    #[test]
    fn command_output_loses_its_final_newline() {
        let observation = fixtures::cmd(
            "42
",
        );
        assert_eq!(captured(&rule("stdout: true"), &observation), Some(Value::from("42")));
        assert_eq!(captured(&rule(r"regex: '(\d+)$'"), &observation), Some(Value::from("42")));
        assert_eq!(captured(&rule("json: $"), &observation), Some(Value::from(42)));
    }

    #[test]
    fn a_crlf_line_end_is_not_part_of_a_captured_value() {
        let observation = fixtures::cmd("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
        assert_eq!(captured(&rule("regex: 'role:(.+)'"), &observation), Some(Value::from("master")));
        assert_eq!(captured(&rule("regex: 'slaves:(.*)'"), &observation), Some(Value::from("0")));
        let observation = fixtures::cmd("active\r\n");
        assert_eq!(captured(&rule("stdout: true"), &observation), Some(Value::from("active")));
        assert_eq!(captured(&rule("regex: '(.+\\r)'"), &fixtures::cmd("a\r")), Some(Value::from("a\r")));
    }

    #[test]
    fn a_truncated_output_is_captured_without_the_marker() {
        let mut body = crate::probe::Captured::new();
        body.push(&vec![b'x'; 3_000_000], 1 << 20);
        let Observation::Http(mut http) = http("") else { unreachable!() };
        http.body = body;
        let observation = Observation::Http(http);
        assert_eq!(captured(&rule("regex: '([0-9]+ bytes dropped)'"), &observation), None);
        assert_eq!(captured(&rule("body: true"), &observation), Some(Value::from("x".repeat(1 << 20))));
    }

    #[test]
    fn a_truncated_output_is_never_read_across_its_dropped_middle() {
        let mut body = crate::probe::Captured::new();
        let p = "p".repeat(700_000);
        let q = "q".repeat(700_000);
        body.push(format!(r#"{{"a":"{p}A","error":"disk full","b":"B{q}","healthy":true}}"#).as_bytes(), 1 << 20);
        let Observation::Http(mut http) = http("") else { unreachable!() };
        http.body = body;
        let observation = Observation::Http(http);
        assert_eq!(captured(&rule("json: $.healthy\ndefault: unknown"), &observation), Some(Value::from("unknown")));
        assert_eq!(captured(&rule("regex: 'p(A.*B)q'"), &observation), None);
        assert_eq!(captured(&rule("regex: '\"(h\\w+)\"'"), &observation), Some(Value::from("healthy")));
    }

    #[test]
    fn a_typed_capture_is_converted_when_taken() {
        let observation = fixtures::cmd("disk at 87% (1m30s left)\n");
        let typed = |yaml| capture(&rule(yaml), &observation);
        assert_eq!(typed("regex: '(\\d+)%'\ntype: int"), Ok(Some(Value::from(87))));
        assert_eq!(typed("regex: '(\\d+)%'\ntype: float"), Ok(Some(Value::from(87.0))));
        assert_eq!(typed("regex: '(\\d+)%'"), Ok(Some(Value::from("87"))));
        assert_eq!(typed("regex: '\\((\\S+) left'\ntype: duration"), Ok(Some(Value::from(90_000))));
        assert_eq!(typed("regex: 'at (\\d+)'\ntype: string"), Ok(Some(Value::from("87"))));
        assert_eq!(typed("regex: 'nothing'\ntype: int"), Ok(None));
        assert_eq!(typed("regex: 'nothing'\ntype: int\ndefault: 0"), Ok(Some(Value::from(0))));
        assert_eq!(typed("regex: 'disk (\\w+)'\ntype: int"), Err("\"at\" is not a whole number".to_owned()));
        assert_eq!(
            typed("regex: 'disk (\\w+)'\ntype: bool"),
            Err("\"at\" is not true/false, yes/no, on/off or 1/0".to_owned())
        );
    }

    /// review-10-attack5 H7: a whole output's lines lose the `\r` of their
    /// `\r\n`, so a line split with `split("\n")` reads as printed.
    #[test]
    fn a_whole_output_capture_reads_crlf_line_ends_as_newlines() {
        let observation = fixtures::cmd("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
        assert_eq!(
            capture(&rule("stdout: true"), &observation),
            Ok(Some(Value::from("# Replication\nrole:master\nconnected_slaves:0")))
        );
        assert_eq!(capture(&rule("body: true"), &http("a\r\nb\r\n")), Ok(Some(Value::from("a\nb"))));
    }

    /// attack4 L4: `type: bool` reads the words `| bool` reads.
    #[test]
    fn a_bool_capture_reads_what_the_bool_filter_reads() {
        for (printed, expected) in
            [("yes", true), ("No", false), (" on ", true), ("OFF", false), ("1", true), ("0", false)]
        {
            let observation = fixtures::cmd(&format!("{printed}\n"));
            assert_eq!(capture(&rule("stdout: true\ntype: bool"), &observation), Ok(Some(Value::Bool(expected))));
        }
        let numbers = fixtures::cmd(r#"{"up": 1, "down": 0, "two": 2}"#);
        assert_eq!(capture(&rule("json: $.up\ntype: bool"), &numbers), Ok(Some(Value::Bool(true))));
        assert_eq!(capture(&rule("json: $.down\ntype: bool"), &numbers), Ok(Some(Value::Bool(false))));
        assert!(capture(&rule("json: $.two\ntype: bool"), &numbers).is_err());
    }

    #[test]
    fn json_captures_keep_their_type_and_text_can_be_read_as_json() {
        let observation = fixtures::cmd(r#"{"n": 3, "s": "4", "ok": "true", "raw": "[1, 2]"}"#);
        let typed = |yaml| capture(&rule(yaml), &observation);
        assert_eq!(typed("json: $.n"), Ok(Some(Value::from(3))));
        assert_eq!(typed("json: $.n\ntype: string"), Ok(Some(Value::from("3"))));
        assert_eq!(typed("json: $.s\ntype: int"), Ok(Some(Value::from(4))));
        assert_eq!(typed("json: $.ok\ntype: bool"), Ok(Some(Value::Bool(true))));
        assert_eq!(typed("json: $.raw\ntype: json"), Ok(Some(serde_json::json!([1, 2]))));
        assert_eq!(typed("json: $.n\ntype: json"), Ok(Some(Value::from(3))));
        assert_eq!(typed("json: $.ok\ntype: json"), Ok(Some(Value::Bool(true))));
        let refused = typed("json: $.s\ntype: duration").expect_err("a bare number has no unit");
        assert!(refused.starts_with("\"4\" is not a duration"), "{refused}");
    }

    #[test]
    fn an_int_capture_takes_a_whole_float_and_refuses_a_fraction() {
        let observation = fixtures::cmd(r#"{"n": 42.0, "f": 42.5, "t": "42.0", "big": 1e300}"#);
        let typed = |yaml| capture(&rule(yaml), &observation);
        assert_eq!(typed("json: $.n\ntype: int"), Ok(Some(Value::from(42))));
        assert_eq!(typed("json: $.t\ntype: int"), Ok(Some(Value::from(42))));
        assert_eq!(typed("json: $.f\ntype: int"), Err("42.5 is not a whole number".to_owned()));
        assert_eq!(typed("json: $.big\ntype: int"), Err("1e+300 is not a whole number".to_owned()));
    }
}
