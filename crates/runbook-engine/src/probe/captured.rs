//! Bounded capture of a byte stream: the head and the tail are kept, the
//! middle is only counted, so a command printing 1 GiB keeps memory flat.

use std::borrow::Cow;
use std::collections::VecDeque;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::redact::Redactor;

/// A stream's bytes, bounded. Serialized as its kept text and byte counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The first bytes, up to half the limit.
    pub head: Vec<u8>,
    /// The last bytes, up to half the limit: what did not fit in the head.
    /// A ring, so that keeping the latest bytes of a long stream costs what
    /// is read, not a shift of the whole tail per read.
    pub tail: VecDeque<u8>,
    /// Every byte seen.
    pub total_bytes: u64,
    /// Bytes seen but not kept.
    pub dropped_bytes: u64,
}

impl Captured {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `bytes`, keeping at most `limit` of everything seen.
    pub fn push(&mut self, bytes: &[u8], limit: usize) {
        self.total_bytes += bytes.len() as u64;
        let half = limit / 2;
        let room = half.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        if rest.is_empty() {
            return;
        }
        let tail_limit = limit - half;
        // Only the bytes that can stay are copied in; the oldest make room.
        let rest = &rest[rest.len().saturating_sub(tail_limit)..];
        let excess = (self.tail.len() + rest.len()).saturating_sub(tail_limit);
        self.tail.drain(..excess);
        self.tail.extend(rest);
        self.dropped_bytes = self.total_bytes - (self.head.len() + self.tail.len()) as u64;
    }

    /// The kept bytes as text (invalid UTF-8 replaced), with a marker where
    /// bytes were dropped: for people.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped_bytes > 0 {
            text.push_str(&marker(self.dropped_bytes));
        }
        text.push_str(&String::from_utf8_lossy(&self.tail_bytes()));
        text
    }

    /// The kept bytes as text, head and tail joined without a marker: what
    /// expectations and captures judge. That bytes were dropped is a fact
    /// of its own (`dropped_bytes`), never text the service printed.
    pub fn kept(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        text.push_str(&String::from_utf8_lossy(&self.tail_bytes()));
        text
    }

    /// The head and the tail as two texts when the middle was dropped: a
    /// match must lie inside one of them, never across the gap, where the
    /// service printed bytes nobody kept; `None` for a stream kept whole.
    pub fn parts(&self) -> Option<[String; 2]> {
        (self.dropped_bytes > 0).then(|| {
            [String::from_utf8_lossy(&self.head).into_owned(), String::from_utf8_lossy(&self.tail_bytes()).into_owned()]
        })
    }

    /// Why the kept bytes cannot be read as one document (JSON): the
    /// middle was dropped; `None` for a stream kept whole.
    pub fn cut(&self) -> Option<String> {
        (self.dropped_bytes > 0).then(|| {
            format!(
                "the output is not whole: {} of its {} bytes were dropped from the middle, so it cannot be read \
                 as JSON",
                self.dropped_bytes, self.total_bytes
            )
        })
    }

    /// The tail's bytes in order, borrowed when the ring has not wrapped.
    pub fn tail_bytes(&self) -> Cow<'_, [u8]> {
        match self.tail.as_slices() {
            (front, []) => front.into(),
            (front, back) => [front, back].concat().into(),
        }
    }

    /// Replaces secrets in the kept bytes. A stream kept whole is redacted
    /// as one text, so that a secret straddling the head and the tail is
    /// found; otherwise the bytes between them are gone, and what remains
    /// of a secret cut there is masked on both sides.
    pub fn redact(&mut self, redactor: &Redactor) {
        let mut tail = Vec::from(std::mem::take(&mut self.tail));
        if self.dropped_bytes == 0 {
            self.head.append(&mut tail);
            redactor.bytes(&mut self.head);
        } else {
            redactor.bytes(&mut self.head);
            redactor.bytes(&mut tail);
            redactor.edges(&mut self.head, &mut tail);
            self.tail = tail.into();
        }
    }

    /// Whether the whole stream was kept.
    pub fn is_complete(&self) -> bool {
        self.dropped_bytes == 0
    }
}

/// Where bytes were dropped, in [`Captured::text`].
fn marker(dropped_bytes: u64) -> String {
    format!("\n[… {dropped_bytes} bytes dropped …]\n")
}

/// Read back from a journal: the shown text is split at its "bytes
/// dropped" marker into the head and the tail again.
impl<'de> serde::Deserialize<'de> for Captured {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Shown {
            text: String,
            total_bytes: u64,
            #[serde(default)]
            dropped_bytes: u64,
        }
        let shown = Shown::deserialize(deserializer)?;
        let marker = marker(shown.dropped_bytes);
        let (head, tail) = match shown.text.split_once(&marker) {
            Some((head, tail)) if shown.dropped_bytes > 0 => (head.as_bytes().to_vec(), tail.bytes().collect()),
            _ => (shown.text.into_bytes(), VecDeque::new()),
        };
        Ok(Self { head, tail, total_bytes: shown.total_bytes, dropped_bytes: shown.dropped_bytes })
    }
}

/// The shape [`Captured`]'s `Serialize` writes, for `record.schema.json`.
impl schemars::JsonSchema for Captured {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Captured".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A stream's bytes, bounded: the kept text (a marker where the middle was dropped) and the byte counts.",
            "type": "object",
            "properties": {
                "text": { "type": "string", "description": "The kept bytes as text (invalid UTF-8 replaced)." },
                "total_bytes": { "type": "integer", "minimum": 0, "description": "Every byte seen." },
                "dropped_bytes": { "type": "integer", "minimum": 0, "description": "Bytes seen but not kept." }
            },
            "required": ["text", "total_bytes", "dropped_bytes"],
            "additionalProperties": false
        })
    }
}

impl Serialize for Captured {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Captured", 3)?;
        state.serialize_field("text", &self.text())?;
        state.serialize_field("total_bytes", &self.total_bytes)?;
        state.serialize_field("dropped_bytes", &self.dropped_bytes)?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_and_counts_the_rest() {
        let mut captured = Captured::new();
        for chunk in [b"0123".as_slice(), b"4567", b"89ab", b"cdef"] {
            captured.push(chunk, 8);
        }
        assert_eq!(captured.head, b"0123");
        assert_eq!(captured.tail, b"cdef");
        assert_eq!((captured.total_bytes, captured.dropped_bytes), (16, 8));
        assert_eq!(captured.text(), "0123\n[… 8 bytes dropped …]\ncdef");
        assert_eq!(captured.kept(), "0123cdef");
        let read_back: Captured = serde_json::from_value(serde_json::to_value(&captured).unwrap()).unwrap();
        assert_eq!(read_back, captured);
    }

    #[test]
    fn a_secret_across_the_head_and_the_tail_of_a_whole_stream_is_redacted() {
        let mut redactor = Redactor::new();
        redactor.add("token", "s3cret-canary");
        let mut captured = Captured::new();
        captured.push(b"xxxxxs3cret-canaryxxxxx", 30);
        assert!(captured.is_complete() && !captured.tail.is_empty(), "{captured:?}");
        captured.redact(&redactor);
        assert_eq!(captured.kept(), "xxxxx[redacted:token]xxxxx");
    }

    /// The ring keeps exactly the bytes a plain "append, then cut the
    /// front" would, whatever the chunk sizes.
    #[test]
    fn the_tail_is_the_last_bytes_whatever_the_chunks() {
        let stream: Vec<u8> = (0..5000u32).map(|i| u8::try_from(i % 251).unwrap()).collect();
        for limit in [0, 1, 7, 64, 1000] {
            for chunk in [1, 3, 31, 64, 700, 5000] {
                let mut captured = Captured::new();
                for piece in stream.chunks(chunk) {
                    captured.push(piece, limit);
                }
                let head = &stream[..limit / 2];
                let tail = &stream[stream.len() - (limit - limit / 2)..];
                assert_eq!(captured.head, head, "limit {limit}, chunk {chunk}");
                assert_eq!(&*captured.tail_bytes(), tail, "limit {limit}, chunk {chunk}");
                assert_eq!(captured.dropped_bytes, (stream.len() - limit) as u64);
            }
        }
    }

    #[test]
    fn small_streams_are_kept_whole() {
        let mut captured = Captured::new();
        captured.push(b"hello", 1024);
        assert!(captured.is_complete());
        assert_eq!(captured.text(), "hello");
    }
}
