//! Types written in a runbook as a string and kept with their text (a
//! regular expression, a JSONPath): read from the string, and written and
//! described as it, so the generated schema shows a plain string with the
//! `default` it shows for every optional field.

/// Gives `$type` (with a `text: String` field and a `new(String)`) `Deref`
/// to its text, and `Deserialize`, `Serialize` and `JsonSchema` as a string.
macro_rules! written_as_text {
    ($type:ty) => {
        impl std::ops::Deref for $type {
            type Target = str;

            fn deref(&self) -> &str {
                &self.text
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.text.serialize(serializer)
            }
        }

        impl schemars::JsonSchema for $type {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                String::schema_name()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                String::json_schema(generator)
            }
        }
    };
}

pub(crate) use written_as_text;
