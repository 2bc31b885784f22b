//! Whether [`Redactor::redacted_json`] would change a value, found by
//! walking its serialization: every string, map key and number its JSON
//! would hold is looked at as [`Redactor::json`] looks at it, and nothing
//! is written. The walk stops at the first secret.

use std::fmt;

use serde::ser::{self, Serialize};

use super::Redactor;

/// Whether `value`'s JSON holds a secret (or something else the redactor
/// replaces). A value that cannot be serialized counts as holding one: it
/// is then redacted as its type, which is never less safe.
pub(super) fn finds(redactor: &Redactor, value: &impl Serialize) -> bool {
    value.serialize(Finder(redactor)).is_err()
}

/// The walk: each method looks at one piece of the value.
#[derive(Clone, Copy)]
struct Finder<'r>(&'r Redactor);

/// Why the walk stopped: something to redact.
#[derive(Debug)]
struct Found;

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("holds something to redact")
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

impl Finder<'_> {
    fn text(self, text: &str) -> Result<(), Found> {
        match self.0.text(text) {
            std::borrow::Cow::Borrowed(_) => Ok(()),
            std::borrow::Cow::Owned(_) => Err(Found),
        }
    }

    fn number(self, number: Option<serde_json::Number>) -> Result<(), Found> {
        match number {
            Some(number) if self.0.secret_number(&number).is_some() => Err(Found),
            _ => Ok(()),
        }
    }
}

impl ser::Serializer for Finder<'_> {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, _: bool) -> Result<(), Found> {
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Found> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Found> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Found> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Found> {
        self.number(Some(v.into()))
    }

    fn serialize_u8(self, v: u8) -> Result<(), Found> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Found> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Found> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Found> {
        self.number(Some(v.into()))
    }

    fn serialize_f32(self, v: f32) -> Result<(), Found> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Found> {
        self.number(serde_json::Number::from_f64(v))
    }

    fn serialize_char(self, v: char) -> Result<(), Found> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Found> {
        self.text(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Found> {
        self.text(&String::from_utf8_lossy(v))
    }

    fn serialize_none(self) -> Result<(), Found> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Found> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Found> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Found> {
        Ok(())
    }

    /// A variant's name is the engine's (`pass`, `http`), not a text from
    /// outside.
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<(), Found> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Found> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, Found> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Found> {
        Ok(self)
    }

    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Found> {
        Ok(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, Found> {
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Found> {
        Ok(self)
    }

    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Found> {
        Ok(self)
    }
}

impl ser::SerializeSeq for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTuple for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

/// A map's keys are looked at too: [`Redactor::json`] redacts them.
impl ser::SerializeMap for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Found> {
        key.serialize(*self)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

/// A struct's field names are the engine's; only the values are looked at.
impl ser::SerializeStruct for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Finder<'_> {
    type Ok = ();
    type Error = Found;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> Result<(), Found> {
        value.serialize(*self)
    }

    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The walk finds what [`Redactor::json`] replaces, and only that.
    #[test]
    fn finds_what_the_json_redaction_replaces() {
        let mut redactor = Redactor::new();
        redactor.add("token", "s3cr3t-value");
        redactor.add("pin", "4242");
        for value in [
            json!({ "a": ["x", { "b": "s3cr3t-value" }] }),
            json!({ "s3cr3t-value": 1 }),
            json!([1, 2, 4242]),
            json!("Authorization: Bearer abcdefgh12345"),
        ] {
            assert!(finds(&redactor, &value), "{value}");
            let mut redacted = value.clone();
            redactor.json(&mut redacted);
            assert_ne!(redacted, value);
        }
        for value in [json!({ "a": ["x", { "b": "public" }] }), json!([1, 2, 4243]), json!(null)] {
            assert!(!finds(&redactor, &value), "{value}");
            let mut redacted = value.clone();
            redactor.json(&mut redacted);
            assert_eq!(redacted, value);
        }
    }
}
