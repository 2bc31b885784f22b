//! Transitions: where a step's outcome or answer leads.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::Spanned;

/// The target of an `on:` entry: a step id, or a chain of conditional
/// branches where the first true `when` wins.
#[derive(Debug, Clone)]
pub enum Target {
    /// Go to this step.
    Goto(String),
    /// Try the branches in order; an entry without `when` is the default.
    Branches(Vec<Spanned<Branch>>),
}

/// One entry of a conditional chain.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Expression over `inputs`, `vars`, `steps`, `result` and `run`;
    /// absent means always.
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// Step to go to when `when` is true.
    pub goto: Spanned<String>,
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TargetVisitor;

        impl<'de> Visitor<'de> for TargetVisitor {
            type Value = Target;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step id, or a list of `{ when, goto }` branches")
            }

            fn visit_str<E: de::Error>(self, id: &str) -> Result<Target, E> {
                Ok(Target::Goto(id.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Target, A::Error> {
                let mut branches = Vec::new();
                while let Some(branch) = seq.next_element()? {
                    branches.push(branch);
                }
                Ok(Target::Branches(branches))
            }
        }

        deserializer.deserialize_any(TargetVisitor)
    }
}

impl JsonSchema for Target {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Target".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let branch = generator.subschema_for::<Branch>();
        json_schema!({
            "description": "A step id, or a list of `{ when, goto }` branches: the first true `when` wins, an entry without `when` is the default.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": branch }
            ]
        })
    }
}
