//! A JSON document that templates read in place.
//!
//! `steps.ID` of a `foreach` holds every item's facts (status, headers,
//! body, its JSON, …), and converting all of them into template values at
//! the end of the step cost more than the run's own bookkeeping of the
//! probes, for templates that read a field or two of it, or nothing.
//! A [`LazyJson`] is a template map or list over the shared document: a
//! field becomes a template value when a template reads it.
//!
//! It reads, compares, orders, iterates, renders and serialises as the value
//! `Value::from(Serde(&json))` would: keys in sorted order (minijinja's own
//! maps are sorted), numbers as the same integer or float kinds, `null` as
//! none. The tests hold the two equal over a table of expressions.
//!
//! A document may also be built on its first read ([`deferred_value`]):
//! a step's facts, when no sink of the run reads them, are made from its
//! observations only if a template reads `steps.ID` or `result`.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde_json::Value as Json;

/// A map or list of a shared JSON document, as a template value.
pub(crate) struct LazyJson {
    root: Arc<Document>,
    /// Where this node is in `root`: object keys and array indices.
    path: Vec<Segment>,
}

#[derive(Clone)]
enum Segment {
    Key(Box<str>),
    Index(usize),
}

/// A JSON document, given or built on its first read.
struct Document {
    json: OnceLock<Json>,
    build: Mutex<Option<Build>>,
}

/// How a deferred document is built.
type Build = Box<dyn FnOnce() -> Json + Send>;

impl Document {
    fn json(&self) -> &Json {
        self.json.get_or_init(|| {
            let build = self.build.lock().unwrap_or_else(PoisonError::into_inner).take();
            build.map_or(Json::Null, |build| build())
        })
    }
}

/// The template value of this JSON: scalars at once, maps and lists read
/// where a template reads them.
pub(crate) fn lazy_value(json: Json) -> Value {
    match json {
        Json::Object(_) | Json::Array(_) => {
            let document = Document { json: OnceLock::from(json), build: Mutex::new(None) };
            Value::from_object(LazyJson { root: Arc::new(document), path: Vec::new() })
        }
        ref scalar => scalar_value(scalar),
    }
}

/// The template value of the JSON map `build` makes, built when a template
/// first reads the value, never if none does.
pub(crate) fn deferred_value(build: impl FnOnce() -> Json + Send + 'static) -> Value {
    let document = Document { json: OnceLock::new(), build: Mutex::new(Some(Box::new(build))) };
    Value::from_object(LazyJson { root: Arc::new(document), path: Vec::new() })
}

/// The template value of a JSON scalar, as minijinja's serializer makes it.
fn scalar_value(json: &Json) -> Value {
    match json {
        Json::Null | Json::Object(_) | Json::Array(_) => Value::from(()),
        Json::Bool(flag) => Value::from(*flag),
        Json::Number(number) => {
            if let Some(unsigned) = number.as_u64() {
                Value::from(unsigned)
            } else if let Some(signed) = number.as_i64() {
                Value::from(signed)
            } else {
                Value::from(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(text) => Value::from(text.as_str()),
    }
}

impl LazyJson {
    /// The JSON this node stands for.
    fn node(&self) -> &Json {
        self.path
            .iter()
            .try_fold(self.root.json(), |json, segment| match segment {
                Segment::Key(key) => json.get(&**key),
                Segment::Index(index) => json.get(index),
            })
            .unwrap_or(&Json::Null)
    }

    /// The value of the child at `segment`, `json` being that child.
    fn child(&self, segment: Segment, json: &Json) -> Value {
        match json {
            Json::Object(_) | Json::Array(_) => {
                let mut path = Vec::with_capacity(self.path.len() + 1);
                path.extend(self.path.iter().cloned());
                path.push(segment);
                Value::from_object(Self { root: Arc::clone(&self.root), path })
            }
            scalar => scalar_value(scalar),
        }
    }

    /// The map's keys in minijinja's order (byte order of the text).
    fn sorted_keys(map: &serde_json::Map<String, Json>) -> Vec<&str> {
        let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    fn by_key(&self, key: &str) -> Option<Value> {
        let child = self.node().as_object()?.get(key)?;
        Some(self.child(Segment::Key(key.into()), child))
    }
}

impl Object for LazyJson {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        if self.node().is_array() { ObjectRepr::Seq } else { ObjectRepr::Map }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.node() {
            Json::Array(items) => {
                let index = key.as_usize()?;
                Some(self.child(Segment::Index(index), items.get(index)?))
            }
            _ => self.by_key(key.as_str()?),
        }
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.by_key(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Json::Array(items) => Enumerator::Seq(items.len()),
            Json::Object(map) => Enumerator::Values(Self::sorted_keys(map).into_iter().map(Value::from).collect()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Json::Array(items) => Some(items.len()),
            Json::Object(map) => Some(map.len()),
            _ => Some(0),
        }
    }
}

/// As minijinja shows its own maps and lists, which a map shows its
/// values with.
impl fmt::Debug for LazyJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node() {
            Json::Array(items) => f
                .debug_list()
                .entries(items.iter().enumerate().map(|(index, item)| self.child(Segment::Index(index), item)))
                .finish(),
            Json::Object(map) => f
                .debug_map()
                .entries(Self::sorted_keys(map).into_iter().map(|key| {
                    let child = self.child(Segment::Key(key.into()), &map[key]);
                    (Value::from(key), child)
                }))
                .finish(),
            scalar => fmt::Debug::fmt(&scalar_value(scalar), f),
        }
    }
}

#[cfg(test)]
mod tests {
    use minijinja::value::Serde;
    use serde_json::json;

    use super::*;
    use crate::template::Templates;

    /// Documents with every JSON kind, nested, keys out of order, numbers
    /// of every kind, text that looks like other things.
    fn documents() -> Vec<Json> {
        vec![
            json!({}),
            json!([]),
            json!({ "zeta": 1, "alpha": [1, -2, 2.5, 18_446_744_073_709_551_615_u64], "Mid": null, "b": true }),
            json!({ "items": [
                { "status": 200, "headers": { "server": "nginx", "content-type": "application/json" },
                  "json": { "ok": true, "n": [3, 1, 2] }, "body": "{\"ok\":true}", "outcome": "pass", "item": 1 },
                { "status": 503, "headers": {}, "body": "", "outcome": "fail", "item": "two", "json": null },
            ], "failed": ["two"], "outcome": "fail", "duration": 12 }),
            json!([[1, 2], { "a": "x" }, "text", 0, -1, 1e300, "True", "None", ""]),
            json!({ "é": "ü", "a b": { "c": { "d": [{}] } }, "10": 1, "9": 2, "": "empty" }),
        ]
    }

    /// Expressions over `v` (a document) and `w` (the same document read
    /// the other way), covering reading, comparing, ordering, iterating,
    /// rendering and serialising.
    const EXPRESSIONS: &[&str] = &[
        "v",
        "v | string",
        "v | tojson",
        "v | length",
        "v | list",
        "v == w",
        "w == v",
        "v != w",
        "[v, w] | unique | list | length",
        "v is mapping",
        "v is sequence",
        "v is iterable",
        "v | first",
        "v | last",
        "v[0]",
        "v[-1]",
        "v[1:]",
        "v['zeta']",
        "v.alpha",
        "v.alpha[3]",
        "v.alpha | sort",
        "v.alpha | sum",
        "v.Mid is none",
        "v.missing is defined",
        "v.items[0].headers",
        "v.items[0].json.n | sort",
        "v.items | map(attribute='status') | list",
        "v.items | selectattr('outcome', 'eq', 'fail') | map(attribute='item') | list",
        "v.items | rejectattr('json') | list | length",
        "v.items | sort(attribute='status', reverse=true) | map(attribute='item') | list",
        "v.items[0] == w.items[0]",
        "v.items[0] != w.items[1]",
        "v.items[1].json is none",
        "v.items | tojson",
        "'nginx' in v.items[0].headers.server",
        "'server' in v.items[0].headers",
        "'x' in v",
        "'alpha' in v",
        "v['a b'].c.d",
        "v | dictsort",
        "v | items | list",
        "v.keys() | list",
        "v.values() | list",
        "v | batch(2) | list",
        "v | reverse | list",
        "v.items | groupby('outcome')",
        "v | default('none')",
        "v and 'yes' or 'no'",
        "v.failed | join(',')",
        "v[0][1] + 1",
        "v | max",
        "[v] | sort | length",
        "v | jsonpath('$.items[0].status')",
        "v | jsonpath('$.alpha[1]')",
        "v | jsonpath('$.*')",
    ];

    fn render(templates: &Templates, expression: &str, v: &Value, w: &Value) -> String {
        let context = Value::from(std::collections::BTreeMap::from([("v", v.clone()), ("w", w.clone())]));
        match templates.eval(expression, &context) {
            Ok(value) => format!("{value} | {value:?} | {:?}", value.kind()),
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn reads_as_the_converted_value_does() {
        let templates = Templates::new();
        for document in documents() {
            let converted = Value::from(Serde(&document));
            let lazy = lazy_value(document.clone());
            for expression in EXPRESSIONS {
                let expected = render(&templates, expression, &converted, &converted);
                assert_eq!(render(&templates, expression, &lazy, &converted), expected, "{expression} on {document}");
                assert_eq!(render(&templates, expression, &converted, &lazy), expected, "{expression} on {document}");
                assert_eq!(render(&templates, expression, &lazy, &lazy), expected, "{expression} on {document}");
            }
            assert_eq!(lazy, converted, "{document}");
            assert_eq!(lazy.cmp(&converted), std::cmp::Ordering::Equal, "{document}");
            assert_eq!(serde_json::to_value(&lazy).unwrap(), serde_json::to_value(&converted).unwrap());
        }
    }

    #[test]
    fn a_deferred_map_is_built_on_its_first_read_and_reads_as_the_converted_value() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let templates = Templates::new();
        for document in documents().into_iter().filter(Json::is_object) {
            let converted = Value::from(Serde(&document));
            let builds = Arc::new(AtomicUsize::new(0));
            let (counted, built) = (Arc::clone(&builds), document.clone());
            let deferred = deferred_value(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                built
            });
            // Held and passed around, not read: not built.
            let context = Value::from(std::collections::BTreeMap::from([("v", deferred.clone())]));
            assert_eq!(templates.render("{{ 1 }}", &context, crate::template::RenderMode::Text).unwrap(), "1");
            assert_eq!(builds.load(Ordering::SeqCst), 0);
            for expression in EXPRESSIONS {
                let expected = render(&templates, expression, &converted, &converted);
                assert_eq!(
                    render(&templates, expression, &deferred, &converted),
                    expected,
                    "{expression} on {document}"
                );
            }
            assert_eq!(builds.load(Ordering::SeqCst), 1, "built once");
        }
    }

    #[test]
    fn scalars_are_the_values_minijinja_makes() {
        for scalar in [json!(null), json!(true), json!(0), json!(-7), json!(u64::MAX), json!(0.5), json!("text")] {
            let lazy = lazy_value(scalar.clone());
            let converted = Value::from(Serde(&scalar));
            assert_eq!(format!("{lazy:?} {:?}", lazy.kind()), format!("{converted:?} {:?}", converted.kind()));
            assert!(lazy.as_object().is_none(), "{scalar}");
        }
    }

    #[test]
    fn two_documents_that_differ_are_not_equal() {
        let a = lazy_value(json!({ "items": [{ "status": 200 }] }));
        let b = lazy_value(json!({ "items": [{ "status": 201 }] }));
        let c = Value::from(Serde(json!({ "items": [{ "status": 200 }], "more": 1 })));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    }
}
