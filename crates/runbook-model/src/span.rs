//! Byte ranges into a runbook's source, and values that remember theirs.

use std::fmt;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A byte range in the source text. Line and column are computed only when
/// a diagnostic is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span of `len` bytes starting at `start`.
    pub const fn new(start: usize, len: usize) -> Self {
        Self { start, end: start + len }
    }

    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Clamps the span to a source of `len` bytes, so a diagnostic can never
    /// point past the end of the file.
    pub fn clamp(self, len: usize) -> Self {
        let start = self.start.min(len);
        Self { start, end: self.end.clamp(start, len) }
    }

    fn from_saphyr(location: serde_saphyr::Location) -> Self {
        let span = location.span();
        match (span.byte_offset(), span.byte_len()) {
            (Some(offset), Some(len)) => Self::new(to_usize(offset), to_usize(len)),
            _ => Self::default(),
        }
    }
}

impl From<serde_saphyr::Location> for Span {
    fn from(location: serde_saphyr::Location) -> Self {
        Self::from_saphyr(location)
    }
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start, span.len()).into()
    }
}

/// A value together with the span of the YAML node it was read from.
///
/// Equality, ordering and hashing look at the value only, so spanned map keys
/// behave like plain ones. Serialization and the JSON Schema are those of `T`.
#[derive(Clone, Default)]
pub struct Spanned<T> {
    /// The value as written.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub const fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(test)]
        if DEBUG_SPANS.get() {
            return write!(f, "{:?}@{}..{}", self.value, self.span.start, self.span.end);
        }
        self.value.fmt(f)
    }
}

#[cfg(test)]
thread_local! {
    /// Whether `Debug` shows spans too, for tests that compare two readings
    /// of a file span by span.
    pub(crate) static DEBUG_SPANS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: PartialOrd> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl std::borrow::Borrow<str> for Spanned<String> {
    fn borrow(&self) -> &str {
        &self.value
    }
}

/// The newtype name a [`Spanned`] value asks its deserializer for. The
/// loader's own tree reader answers it by handing the node's span over
/// ([`hand_span`]); any other deserializer (serde-saphyr's) treats it as a
/// plain newtype, and the value is read as a `serde_saphyr::Spanned`.
pub(crate) const SPANNED: &str = "__runbook_spanned";

thread_local! {
    /// The span of the node a [`Spanned`] is about to read, handed over by
    /// the tree reader right before it calls the visitor.
    static HANDED_SPAN: std::cell::Cell<Option<Span>> = const { std::cell::Cell::new(None) };
}

/// Hands `span` to the [`Spanned`] visitor the caller calls next.
pub(crate) fn hand_span(span: Span) {
    HANDED_SPAN.set(Some(span));
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Spanned<T>, D::Error> {
                if let Some(span) = HANDED_SPAN.take() {
                    T::deserialize(deserializer).map(|value| Spanned::new(value, span))
                } else {
                    let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
                    Ok(Spanned::new(spanned.value, spanned.referenced.into()))
                }
            }
        }

        deserializer.deserialize_newtype_struct(SPANNED, SpannedVisitor(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
