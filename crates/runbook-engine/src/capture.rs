//! Captures: values kept from an observation as `vars.NAME`.

use runbook_model::Capture;
use serde_json::Value;

use crate::json_path::select;
use crate::probe::Observation;

/// The value `capture` takes from `observation`: the source's value, else
/// the declared `default`, else `None` (the variable stays unset). A JSON
/// `null` counts as nothing, so `default` covers it too.
pub fn capture(capture: &Capture, observation: &Observation) -> Option<Value> {
    read(capture, observation)
        .filter(|value| !value.is_null())
        .or_else(|| capture.default.as_ref().map(|d| d.value.clone()))
}

fn read(capture: &Capture, observation: &Observation) -> Option<Value> {
    let text = match observation {
        Observation::Http(o) => Some(o.body.kept()),
        Observation::Cmd(o) => Some(o.stdout.kept()),
        _ => None,
    };
    if let Some(path) = &capture.json {
        let document: Value = serde_json::from_str(text.as_deref()?).ok()?;
        return select(&serde_json_path::JsonPath::parse(path).ok()?, &document);
    }
    if let Some(pattern) = &capture.regex {
        let regex = regex::Regex::new(pattern).ok()?;
        let text = text?;
        let captures = regex.captures(&text)?;
        return captures.get(1).or_else(|| captures.get(0)).map(|found| Value::from(found.as_str()));
    }
    let trimmed = |text: String| Value::from(text.strip_suffix('\n').unwrap_or(&text).to_owned());
    match observation {
        Observation::Http(o) => {
            if let Some(name) = &capture.header {
                let name = name.to_lowercase();
                return o.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| Value::from(value.as_str()));
            }
            if capture.body.is_some() {
                return Some(Value::from(o.body.kept()));
            }
            if capture.status.is_some() {
                return o.status.map(Value::from);
            }
            None
        }
        Observation::Cmd(o) => {
            if capture.stdout.is_some() {
                return Some(trimmed(o.stdout.kept()));
            }
            if capture.stderr.is_some() {
                return Some(trimmed(o.stderr.kept()));
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fixtures;

    fn http(body: &str) -> Observation {
        fixtures::http(503, body, std::time::Duration::ZERO)
    }

    fn rule(yaml: &str) -> Capture {
        serde_saphyr::from_str(yaml).expect("valid capture")
    }

    #[test]
    fn sources_of_an_http_response() {
        let observation = http(r#"{"checks": {"db": {"ok": false}}, "error": null, "v": "1.2.3"}"#);
        assert_eq!(capture(&rule("json: $.checks.db.ok"), &observation), Some(Value::Bool(false)));
        assert_eq!(capture(&rule("json: $.checks.*.ok"), &observation), Some(Value::from(vec![false])));
        assert_eq!(capture(&rule("regex: 'v\": \"([0-9.]+)'"), &observation), Some(Value::from("1.2.3")));
        assert_eq!(capture(&rule("header: X-Request-Id"), &observation), Some(Value::from("abc")));
        assert_eq!(capture(&rule("status: true"), &observation), Some(Value::from(503)));
    }

    #[test]
    fn defaults_cover_missing_values_and_null() {
        let observation = http(r#"{"error": null}"#);
        assert_eq!(capture(&rule("json: $.nope"), &observation), None);
        assert_eq!(capture(&rule("json: $.nope\ndefault: none"), &observation), Some(Value::from("none")));
        assert_eq!(capture(&rule("json: $.error\ndefault: \"\""), &observation), Some(Value::from("")));
        assert_eq!(capture(&rule("json: $.x\ndefault: 0"), &http("<html>")), Some(Value::from(0)));
    }

    #[test]
    fn command_output_loses_its_final_newline() {
        let observation = fixtures::cmd(
            "42
",
        );
        assert_eq!(capture(&rule("stdout: true"), &observation), Some(Value::from("42")));
        assert_eq!(capture(&rule("json: $"), &observation), Some(Value::from(42)));
    }

    #[test]
    fn a_truncated_output_is_captured_without_the_marker() {
        let mut body = crate::probe::Captured::new();
        body.push(&vec![b'x'; 3_000_000], 1 << 20);
        let Observation::Http(mut http) = http("") else { unreachable!() };
        http.body = body;
        let observation = Observation::Http(http);
        assert_eq!(capture(&rule("regex: '([0-9]+ bytes dropped)'"), &observation), None);
        assert_eq!(capture(&rule("body: true"), &observation), Some(Value::from("x".repeat(1 << 20))));
    }
}
