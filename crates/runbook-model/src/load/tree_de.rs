//! The model read from a [`Node`] tree with serde, the way serde-saphyr
//! reads it from the text: the same types for plain scalars, the same
//! spans for [`crate::Spanned`] values. Where serde-saphyr could read a
//! node differently (a number in an unusual spelling, a quoted number where
//! a number belongs), or would refuse it, this reading fails with
//! [`Declined`] and the loader asks serde-saphyr instead, for the value or
//! for its diagnostic.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::tree::Node;
use crate::span::{SPANNED, hand_span};

/// This reading stops; serde-saphyr reads the file instead.
#[derive(Debug)]
pub(super) struct Declined;

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("declined")
    }
}

impl std::error::Error for Declined {}

impl de::Error for Declined {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

/// What a plain scalar is, by serde-saphyr's rules (YAML 1.2 core schema,
/// strict booleans), as far as this reading is sure.
#[derive(Debug, PartialEq)]
enum Plain {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Text,
    /// A number in another spelling (`0x1F`, `1_000`, `1.5`, `.inf`), or
    /// a decimal too large: left to serde-saphyr.
    Unsure,
}

fn plain(text: &str) -> Plain {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Plain::Null;
    }
    let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
    match trimmed {
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if matches!(unsigned, ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF") {
        return Plain::Unsure;
    }
    // Every integer spelling (decimal, 0x, 0o, 0b, underscores) starts
    // with a digit and holds nothing but these.
    if unsigned.starts_with(|c: char| c.is_ascii_digit())
        && unsigned.bytes().all(|b| b.is_ascii_hexdigit() || b"xXoObB_".contains(&b))
    {
        let decimal = unsigned.bytes().all(|b| b.is_ascii_digit()) && (unsigned == "0" || !unsigned.starts_with('0'));
        return match (decimal, trimmed.as_bytes()[0]) {
            (true, b'-') => trimmed.parse().map_or(Plain::Unsure, Plain::Signed),
            (true, b'0'..=b'9') => trimmed.parse().map_or(Plain::Unsure, Plain::Unsigned),
            _ => Plain::Unsure,
        };
    }
    if trimmed.parse::<f64>().is_ok() { Plain::Unsure } else { Plain::Text }
}

/// Whether a plain scalar reads as null.
fn is_null(text: &str, is_plain: bool) -> bool {
    is_plain && plain(text) == Plain::Null
}

impl<'de> Node<'de> {
    fn visit_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Node::Scalar { text, plain, .. } if !is_null(&text, plain) => match text {
                Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
                Cow::Owned(text) => visitor.visit_string(text),
            },
            _ => Err(Declined),
        }
    }

    fn visit_whole_number<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Node::Scalar { text, plain: true, .. } => match plain(&text) {
                Plain::Unsigned(number) => visitor.visit_u64(number),
                Plain::Signed(number) => visitor.visit_i64(number),
                _ => Err(Declined),
            },
            _ => Err(Declined),
        }
    }
}

impl<'de> de::Deserializer<'de> for Node<'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Node::Scalar { text, plain: true, span } => match plain(&text) {
                Plain::Null => visitor.visit_unit(),
                Plain::Bool(value) => visitor.visit_bool(value),
                Plain::Unsigned(number) => visitor.visit_u64(number),
                Plain::Signed(number) => visitor.visit_i64(number),
                Plain::Text => Node::Scalar { text, plain: true, span }.visit_text(visitor),
                Plain::Unsure => Err(Declined),
            },
            scalar @ Node::Scalar { .. } => scalar.visit_text(visitor),
            Node::Seq { items, .. } => visit_seq(items, visitor),
            Node::Map { entries, .. } => visit_map(entries, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Node::Scalar { text, plain: true, .. } if text == "true" || text == "false" => {
                visitor.visit_bool(text == "true")
            }
            _ => Err(Declined),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_whole_number(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }

    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_text(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_text(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match &self {
            Node::Scalar { text, plain, .. } if is_null(text, *plain) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match &self {
            Node::Scalar { text, plain, .. } if is_null(text, *plain) => visitor.visit_unit(),
            _ => Err(Declined),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Declined> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Declined> {
        match name {
            SPANNED => {
                hand_span(self.span());
                visitor.visit_newtype_struct(self)
            }
            // serde-saphyr's own wrappers (`serde_saphyr::Spanned` and the
            // like) need its event stream.
            name if name.starts_with("__yaml_") => Err(Declined),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Node::Seq { items, .. } => visit_seq(items, visitor),
            _ => Err(Declined),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Declined> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Declined> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Node::Map { entries, .. } => visit_map(entries, visitor),
            _ => Err(Declined),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Declined> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Declined> {
        match self {
            Node::Scalar { text, plain, .. } if !is_null(&text, plain) => visitor.visit_enum(UnitVariant(text)),
            _ => Err(Declined),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.visit_text(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        visitor.visit_unit()
    }
}

/// A sequence's items to a visitor, refused if it left some unread (which
/// serde-saphyr would not let pass silently).
fn visit_seq<'de, V: Visitor<'de>>(items: Vec<Node<'de>>, visitor: V) -> Result<V::Value, Declined> {
    let mut items = Items(items.into_iter());
    let value = visitor.visit_seq(&mut items)?;
    if items.0.len() == 0 { Ok(value) } else { Err(Declined) }
}

/// A mapping's entries to a visitor, refused if it left some unread.
fn visit_map<'de, V: Visitor<'de>>(entries: Vec<(Node<'de>, Node<'de>)>, visitor: V) -> Result<V::Value, Declined> {
    let mut entries = Entries { rest: entries.into_iter(), value: None };
    let value = visitor.visit_map(&mut entries)?;
    if entries.rest.len() == 0 && entries.value.is_none() { Ok(value) } else { Err(Declined) }
}

/// A sequence's items, handed out one by one.
struct Items<'de>(std::vec::IntoIter<Node<'de>>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Declined;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Declined> {
        self.0.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// A mapping's entries, handed out key, value, key, value.
struct Entries<'de> {
    rest: std::vec::IntoIter<(Node<'de>, Node<'de>)>,
    value: Option<Node<'de>>,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = Declined;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Declined> {
        match self.rest.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Declined> {
        seed.deserialize(self.value.take().ok_or(Declined)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rest.len())
    }
}

/// An enum variant written as a scalar: its name.
struct UnitVariant<'de>(Cow<'de, str>);

impl<'de> de::EnumAccess<'de> for UnitVariant<'de> {
    type Error = Declined;
    type Variant = NoPayload;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, NoPayload), Declined> {
        let name: de::value::CowStrDeserializer<'de, Declined> = self.0.into_deserializer();
        seed.deserialize(name).map(|value| (value, NoPayload))
    }
}

/// What a scalar variant carries: nothing, so only unit variants read.
struct NoPayload;

impl<'de> de::VariantAccess<'de> for NoPayload {
    type Error = Declined;

    fn unit_variant(self) -> Result<(), Declined> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, Declined> {
        Err(Declined)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> Result<V::Value, Declined> {
        Err(Declined)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::path::{Path, PathBuf};

    use super::super::{limits, options, tree};
    use crate::span::DEBUG_SPANS;
    use crate::{Runbook, TestFile};

    /// Both readings of `text` as `T`: the quick one (if it did not
    /// decline) and serde-saphyr's, each shown with every span.
    fn both<'a, T: serde::Deserialize<'a> + Debug>(text: &'a str) -> (Option<String>, Result<String, String>) {
        DEBUG_SPANS.set(true);
        let quick =
            tree::read(text, &limits()).and_then(|node| T::deserialize(node).ok()).map(|value| format!("{value:?}"));
        let saphyr = serde_saphyr::from_str_with_options::<T>(text, options())
            .map(|value| format!("{value:?}"))
            .map_err(|error| error.to_string());
        DEBUG_SPANS.set(false);
        (quick, saphyr)
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|extension| extension == "yaml") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_quick_reading_equals_serde_saphyrs_for_every_file_of_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["tests", "examples", "runbooks", "benches", "incidents"] {
            if root.join(dir).is_dir() {
                yaml_files(&root.join(dir), &mut files);
            }
        }
        let (mut loaded, mut quick) = (0, 0);
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else { continue };
            let name = path.to_string_lossy();
            let (fast, saphyr) =
                if name.ends_with(".test.yaml") { both::<TestFile>(&text) } else { both::<Runbook>(&text) };
            loaded += usize::from(saphyr.is_ok());
            if let Some(fast) = fast {
                quick += 1;
                assert_eq!(Ok(fast), saphyr, "{name}");
            }
        }
        // The quick reading is the common case, not a rarity.
        assert!(loaded > 100 && quick * 10 >= loaded * 9, "{quick} of {loaded} files read quickly");
    }

    #[test]
    fn plain_scalars_are_typed_as_serde_saphyr_types_them_or_left_to_it() {
        let sure = [
            "~",
            "null",
            "NULL",
            "",
            "true",
            "false",
            "0",
            "200",
            "-3",
            "-0",
            "18446744073709551615",
            "2s",
            "500ms",
            "1m30s",
            "done",
            "abc",
            "ok",
            "x1",
            "a b",
            "$.a[*]",
            "12:30",
            "1.2.3",
            "-x",
            "+x",
            "y",
            "no",
            "True",
            "FALSE",
            "on",
            "yes",
            "Off",
        ];
        let unsure = [
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "007",
            "+5",
            "1.5",
            "-1.5e-3",
            "1e3",
            ".5",
            ".inf",
            "-.inf",
            ".NaN",
            "18446744073709551616",
            "-9223372036854775809",
            "1d",
            "1e999",
            "inf",
            "nan",
        ];
        for scalar in sure.iter().chain(&unsure) {
            for text in [
                format!("id: x\ntitle: T\ninputs:\n  a: {{ default: {scalar} }}\nsteps: []\n"),
                format!("id: x\ntitle: T\ninputs:\n  a:\n    default: {scalar}\nsteps: []\n"),
                format!(
                    "id: x\ntitle: T\ninputs:\n  a:\n    default: [{scalar}, \"{scalar}\", '{scalar}']\nsteps: []\n"
                ),
                format!("id: x\ntitle: T\nversion: {scalar}\nsteps: []\n"),
                format!("id: x\ntitle: T\ntimeout: {scalar}\nsteps: []\n"),
                format!("id: x\ntitle: T\nmax_visits: {scalar}\nsteps: []\n"),
                format!("id: x\ntitle: {scalar}\nsteps: []\n"),
            ] {
                let (fast, saphyr) = both::<Runbook>(&text);
                if let Some(fast) = fast {
                    assert_eq!(Ok(fast), saphyr, "{text}");
                }
            }
            let text = format!("id: x\ntitle: T\ninputs:\n  a:\n    default: {scalar}\nsteps: []\n");
            assert_eq!(both::<Runbook>(&text).0.is_some(), sure.contains(scalar), "{scalar:?}");
        }
    }

    #[test]
    fn the_quick_reading_stops_below_serde_saphyrs_node_and_depth_limits() {
        // A mapping, its key, a sequence and the items: as serde-saphyr counts.
        let items = |count: usize| format!("a:\n{}", "- x\n".repeat(count));
        let limit = tree::MAX_NODES - 3;
        assert!(tree::read(&items(limit), &limits()).is_some());
        assert!(tree::read(&items(limit + 1), &limits()).is_none());
        let widest: Result<serde_json::Value, _> = serde_saphyr::from_str_with_options(&items(limit), options());
        assert!(widest.is_ok(), "{widest:?}");
        let nested = |depth: usize| format!("{}x{}", "[".repeat(depth), "]".repeat(depth));
        assert!(tree::read(&nested(tree::MAX_DEPTH), &limits()).is_some());
        assert!(tree::read(&nested(tree::MAX_DEPTH + 1), &limits()).is_none());
        let deepest: Result<serde_json::Value, _> =
            serde_saphyr::from_str_with_options(&nested(tree::MAX_DEPTH), options());
        assert!(deepest.is_ok(), "{deepest:?}");
    }

    #[test]
    fn anchors_tags_merges_and_repeated_keys_are_left_to_serde_saphyr() {
        for text in [
            "id: x\ntitle: &t T\nsteps: []\n",
            "id: x\ntitle: !!str T\nsteps: []\n",
            "id: x\ntitle: T\nsteps: []\nid: y\n",
            "id: x\ntitle: T\n\"id\": y\nsteps: []\n",
            "id: x\ntitle: T\ninputs:\n  <<: { a: {} }\nsteps: []\n",
            "id: x\ntitle: T\nsteps: []\n---\nid: y\n",
            "id: x\ntitle: T\n? [a]\n: b\nsteps: []\n",
        ] {
            assert!(both::<Runbook>(text).0.is_none(), "{text}");
        }
    }
}
