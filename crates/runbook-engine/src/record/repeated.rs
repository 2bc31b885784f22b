//! A step's facts repeat its probes' output: `steps.ID.stdout` is the text
//! of the probe's `stdout`, already in the `probe` event just before. In
//! the journal such a repeat is written as a reference to that event, and
//! put back on reading, so that a command printing 1 MiB takes 1 MiB of
//! journal, not twice that.

use std::collections::HashMap;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::event::Part;
use crate::probe::Captured;

/// Outputs shorter than this are written again: a reference would save
/// little, and comparing costs a copy.
const MIN_REPEAT: usize = 256;

/// The key of the reference written in place of a repeated output.
const REFERENCE: &str = "same_as_probe";

/// The last attempt's probes of each step not finished yet.
#[derive(Default)]
pub(super) struct Probes(HashMap<String, (u32, Vec<Arc<Part>>)>);

impl Probes {
    /// Notes a `probe` event.
    pub(super) fn add(&mut self, step: &str, attempt: u32, part: &Arc<Part>) {
        let (last, parts) = self.0.entry(step.to_owned()).or_default();
        if *last != attempt {
            *last = attempt;
            parts.clear();
        }
        parts.push(Arc::clone(part));
    }

    /// The probes of the step that finished.
    pub(super) fn finish(&mut self, step: &str) -> Vec<Arc<Part>> {
        self.0.remove(step).map(|(_, parts)| parts).unwrap_or_default()
    }
}

/// A step's facts as the journal writes them: each output that repeats its
/// probe's as `{"same_as_probe": true}`.
pub(super) struct Written<'a> {
    pub(super) facts: &'a Value,
    pub(super) parts: &'a [Arc<Part>],
}

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Value::Object(facts) = self.facts else { return self.facts.serialize(serializer) };
        let single = single(self.parts);
        let mut map = serializer.serialize_map(Some(facts.len()))?;
        for (key, value) in facts {
            match (key.as_str(), value) {
                ("items", Value::Array(items)) if items.len() == self.parts.len() => {
                    let items: Vec<Fields<'_>> =
                        items.iter().zip(self.parts).map(|(item, part)| Fields { facts: item, part }).collect();
                    map.serialize_entry(key, &items)?;
                }
                ("items", Value::Object(items)) if items.len() == self.parts.len() => {
                    let items: Vec<(&String, Fields<'_>)> = items
                        .iter()
                        .zip(self.parts)
                        .map(|((name, item), part)| (name, Fields { facts: item, part }))
                        .collect();
                    map.serialize_entry(key, &Named(items))?;
                }
                _ => match single.filter(|part| repeats(part, key, value)) {
                    Some(_) => map.serialize_entry(key, &reference())?,
                    None => map.serialize_entry(key, value)?,
                },
            }
        }
        map.end()
    }
}

/// One item's or named probe's facts, with its probe.
struct Fields<'a> {
    facts: &'a Value,
    part: &'a Part,
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Value::Object(facts) = self.facts else { return self.facts.serialize(serializer) };
        let mut map = serializer.serialize_map(Some(facts.len()))?;
        for (key, value) in facts {
            if repeats(self.part, key, value) {
                map.serialize_entry(key, &reference())?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// Named probes' facts, in their order.
struct Named<'a>(Vec<(&'a String, Fields<'a>)>);

impl Serialize for Named<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, fields) in &self.0 {
            map.serialize_entry(name, fields)?;
        }
        map.end()
    }
}

/// Puts back the outputs [`Written`] wrote as references, from the probes
/// journaled before the facts.
pub(super) fn restore(facts: &mut Value, parts: &[Arc<Part>]) {
    let Value::Object(facts) = facts else { return };
    let single = single(parts);
    let count = parts.len();
    for (key, value) in facts.iter_mut() {
        match (key.as_str(), value) {
            ("items", Value::Array(items)) if items.len() == count => {
                items.iter_mut().zip(parts).for_each(|(item, part)| restore_fields(item, part));
            }
            ("items", Value::Object(items)) if items.len() == count => {
                items.values_mut().zip(parts).for_each(|(item, part)| restore_fields(item, part));
            }
            (key, value) => {
                if let Some(part) = single {
                    restore_field(part, key, value);
                }
            }
        }
    }
}

fn restore_fields(facts: &mut Value, part: &Part) {
    if let Value::Object(facts) = facts {
        facts.iter_mut().for_each(|(key, value)| restore_field(part, key, value));
    }
}

fn restore_field(part: &Part, key: &str, value: &mut Value) {
    if is_reference(value)
        && let Some(output) = output(part, key)
    {
        *value = Value::String(output.kept());
    }
}

/// The probe whose observation the step's own facts are: a step's single
/// probe (not an item, not a named probe).
fn single(parts: &[Arc<Part>]) -> Option<&Part> {
    match parts {
        [part] if part.name.is_none() && part.item.is_none() => Some(part),
        _ => None,
    }
}

/// Whether the fact `key` is the text of the probe's output of that name,
/// long enough to be worth a reference, and read back the same.
fn repeats(part: &Part, key: &str, value: &Value) -> bool {
    let (Value::String(text), Some(output)) = (value, output(part, key)) else { return false };
    text.len() >= MIN_REPEAT && output.reads_back_exactly() && *text == output.kept()
}

/// The probe's output a fact of that name repeats.
fn output<'a>(part: &'a Part, key: &str) -> Option<&'a Captured> {
    part.observation.as_ref()?.output(key)
}

fn is_reference(value: &Value) -> bool {
    matches!(value, Value::Object(map) if map.len() == 1 && map.get(REFERENCE) == Some(&Value::Bool(true)))
}

fn reference() -> Value {
    Value::Object(Map::from_iter([(REFERENCE.to_owned(), Value::Bool(true))]))
}

#[cfg(test)]
mod tests {
    use runbook_model::Outcome;
    use serde_json::json;

    use super::*;
    use crate::probe::{Observation, fixtures};

    fn part(observation: Observation, name: Option<&str>, item: Option<Value>) -> Arc<Part> {
        Arc::new(Part {
            name: name.map(str::to_owned),
            item,
            probe: runbook_model::ProbeKind::Cmd,
            target: "x".into(),
            observation: Some(observation),
            expectations: Vec::new(),
            outcome: Outcome::Pass,
            error: None,
            assumed: false,
            not_sent: None,
        })
    }

    fn output(stdout: &[u8], limit: usize) -> Observation {
        let Observation::Cmd(mut cmd) = fixtures::cmd("") else { unreachable!() };
        cmd.stdout = Captured::new();
        cmd.stdout.push(stdout, limit);
        Observation::Cmd(cmd)
    }

    /// Written, then parsed and restored: the facts are what they were.
    fn round_trip(facts: &Value, parts: &[Arc<Part>]) -> (String, Value) {
        let text = serde_json::to_string(&Written { facts, parts }).unwrap();
        let mut read: Value = serde_json::from_str(&text).unwrap();
        // The probes as the journal reads them back.
        let parts: Vec<Arc<Part>> = parts
            .iter()
            .map(|p| Arc::new(serde_json::from_value(serde_json::to_value(&**p).unwrap()).unwrap()))
            .collect();
        restore(&mut read, &parts);
        (text, read)
    }

    #[test]
    fn a_long_output_repeated_in_the_facts_is_written_once_and_read_back_whole() {
        let long = "x".repeat(5000);
        let single = [part(output(long.as_bytes(), 1 << 20), None, None)];
        let facts = json!({ "stdout": long, "stderr": "", "exit_code": 0, "outcome": "pass" });
        let (text, read) = round_trip(&facts, &single);
        assert!(text.len() < 200 && text.contains(r#""stdout":{"same_as_probe":true}"#), "{text}");
        assert_eq!(read, facts);

        // A foreach: each item against its own probe; a short output and
        // one that differs from its probe's are written as they are.
        let items = [
            part(output(long.as_bytes(), 1 << 20), None, Some(json!(1))),
            part(output(b"short", 1 << 20), None, Some(json!(2))),
            part(output(long.as_bytes(), 1 << 20), None, Some(json!(3))),
        ];
        let other = "y".repeat(5000);
        let facts = json!({ "items": [{ "stdout": long }, { "stdout": "short" }, { "stdout": other }], "failed": [] });
        let (text, read) = round_trip(&facts, &items);
        assert_eq!(text.matches("same_as_probe").count(), 1, "{text}");
        assert_eq!(read, facts);

        // Named probes, in their order.
        let named =
            [part(output(b"a", 1 << 20), Some("a"), None), part(output(long.as_bytes(), 1 << 20), Some("b"), None)];
        let facts = json!({ "items": { "a": { "stdout": "a" }, "b": { "stdout": long } } });
        let (text, read) = round_trip(&facts, &named);
        assert_eq!(text.matches("same_as_probe").count(), 1, "{text}");
        assert_eq!(read, facts);
    }

    /// Output made to look like the "bytes dropped" marker would be split
    /// there on reading: it is written again rather than referred to.
    #[test]
    fn output_holding_the_dropped_marker_is_written_again() {
        let mut stream = "x".repeat(600).into_bytes();
        stream.extend_from_slice("\n[… 2630 bytes dropped …]\n".as_bytes());
        stream.extend(std::iter::repeat_n(b'z', 4000));
        let single = [part(output(&stream, 2000), None, None)];
        let Some(Observation::Cmd(cmd)) = &single[0].observation else { unreachable!() };
        assert_eq!(cmd.stdout.dropped_bytes, 2630);
        let facts = json!({ "stdout": cmd.stdout.kept() });
        let (text, read) = round_trip(&facts, &single);
        assert!(!text.contains("same_as_probe"), "{text}");
        assert_eq!(read, facts);
    }
}
