//! Bounded capture of a byte stream: the head and the tail are kept, the
//! middle is only counted, so a command printing 1 GiB keeps memory flat.

use std::borrow::Cow;
use std::collections::VecDeque;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::redact::Redactor;

/// `text` as a runbook reads an output: without a leading UTF-8
/// byte-order mark, each `\r\n` line end (redis-cli, Windows hosts) read
/// as `\n`, and without one final line end, as a shell's `$(…)` reads it
/// (`master\r\n` is "master").
fn as_read(mut text: String) -> String {
    if text.starts_with('\u{FEFF}') {
        text.remove(0);
    }
    if text.contains("\r\n") {
        text = text.replace("\r\n", "\n");
    }
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// A stream's bytes, bounded. Serialized as its kept text (or its base64,
/// when JSON would escape the text to more) and byte counts.
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

    /// [`Self::kept`] as a JSON document is read from it: without a
    /// leading UTF-8 byte-order mark, which RFC 8259 lets a parser ignore
    /// (.NET, PowerShell's `Out-File` and Windows-written status files
    /// send one before `{"ok": true}`).
    pub fn document(&self) -> String {
        let kept = self.kept();
        match kept.strip_prefix('\u{FEFF}') {
            Some(document) => document.to_owned(),
            None => kept,
        }
    }

    /// [`Self::kept`] as a runbook reads an output: each `\r\n` read as
    /// `\n`, and without one final newline, as a shell's `$(…)` reads it
    /// (`active\n` is `active`), in expectations, captures and
    /// `result.stdout` alike. A mock written with or without the newline,
    /// with `\n` or `\r\n`, then reads as the real output does. The record
    /// keeps the bytes.
    pub fn as_read(&self) -> String {
        as_read(self.kept())
    }

    /// [`Self::kept`] as printed, `\r\n` and all, without one final line
    /// end: a regular expression written for the bytes (`role:master\r\n`,
    /// as redis-cli writes) is matched against it when it does not match
    /// [`Self::as_read`]; `None` when the two are the same text, or the
    /// middle was dropped.
    pub fn as_printed(&self) -> Option<String> {
        let kept = self.kept();
        if !self.is_complete() || !kept.contains('\r') {
            return None;
        }
        let printed = kept.strip_suffix("\r\n").or_else(|| kept.strip_suffix('\n')).unwrap_or(&kept);
        Some(printed.to_owned())
    }

    /// [`Self::parts`], each read as [`Self::as_read`] reads the whole.
    pub fn parts_as_read(&self) -> Option<[String; 2]> {
        self.parts().map(|[head, tail]| {
            let head = head.strip_prefix('\u{FEFF}').map_or(head.clone(), str::to_owned);
            [as_read_inside(head), as_read(tail)]
        })
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
    /// of a secret cut there is masked on both sides. Returns those
    /// remains, with their secret's name (see `Redactor::edges`).
    pub(crate) fn redact(&mut self, redactor: &Redactor) -> Vec<(String, String)> {
        let mut tail = Vec::from(std::mem::take(&mut self.tail));
        if self.dropped_bytes == 0 {
            self.head.append(&mut tail);
            redactor.bytes(&mut self.head);
            Vec::new()
        } else {
            redactor.bytes(&mut self.head);
            redactor.bytes(&mut tail);
            let pieces = redactor.edges(&mut self.head, &mut tail);
            self.tail = tail.into();
            pieces
        }
    }

    /// Whether the whole stream was kept.
    pub fn is_complete(&self) -> bool {
        self.dropped_bytes == 0
    }
}

/// The head of a cut output as read: its `\r\n` read as `\n` (a `\r`
/// at its very end may be half of one, the `\n` dropped with the middle).
fn as_read_inside(text: String) -> String {
    if text.contains("\r\n") { text.replace("\r\n", "\n") } else { text }
}

/// Where bytes were dropped, in [`Captured::text`].
fn marker(dropped_bytes: u64) -> String {
    format!("\n[… {dropped_bytes} bytes dropped …]\n")
}

/// Read back from a journal: the shown text is split at its "bytes
/// dropped" marker into the head and the tail again; base64 is split at
/// `head_bytes`.
impl<'de> serde::Deserialize<'de> for Captured {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        use serde::de::Error as _;
        #[derive(serde::Deserialize)]
        struct Shown {
            text: Option<String>,
            base64: Option<String>,
            head_bytes: Option<usize>,
            total_bytes: u64,
            #[serde(default)]
            dropped_bytes: u64,
        }
        let shown = Shown::deserialize(deserializer)?;
        let (head, tail) = match (shown.text, shown.base64) {
            (Some(text), None) => match text.split_once(&marker(shown.dropped_bytes)) {
                Some((head, tail)) if shown.dropped_bytes > 0 => (head.as_bytes().to_vec(), tail.bytes().collect()),
                _ => (text.into_bytes(), VecDeque::new()),
            },
            (None, Some(encoded)) => {
                let mut head = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(D::Error::custom)?;
                let split = shown.head_bytes.unwrap_or(head.len());
                if split > head.len() {
                    return Err(D::Error::custom(format!("head_bytes {split} is past the {} bytes kept", head.len())));
                }
                let tail = head.split_off(split);
                (head, tail.into())
            }
            _ => return Err(D::Error::custom("expected exactly one of `text` and `base64`")),
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
            "description": "A stream's bytes, bounded: the kept text (a marker where the middle was dropped) and the byte counts. Bytes that JSON would escape to more than their base64 (mostly control characters, such as NULs) are given as `base64` instead of `text`.",
            "type": "object",
            "properties": {
                "text": { "type": "string", "description": "The kept bytes as text (invalid UTF-8 replaced)." },
                "base64": { "type": "string", "description": "The kept bytes, head then tail, in base64 (instead of `text`)." },
                "head_bytes": { "type": "integer", "minimum": 0, "description": "With `base64`: how many of its bytes come before the dropped middle." },
                "total_bytes": { "type": "integer", "minimum": 0, "description": "Every byte seen." },
                "dropped_bytes": { "type": "integer", "minimum": 0, "description": "Bytes seen but not kept." }
            },
            "required": ["total_bytes", "dropped_bytes"],
            "oneOf": [
                { "required": ["text"], "not": { "required": ["base64"] } },
                { "required": ["base64", "head_bytes"], "not": { "required": ["text"] } }
            ],
            "additionalProperties": false
        })
    }
}

impl Serialize for Captured {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.escapes_beyond_base64() {
            use base64::Engine as _;
            let mut kept = self.head.clone();
            kept.extend(&self.tail);
            let mut state = serializer.serialize_struct("Captured", 4)?;
            state.serialize_field("base64", &base64::engine::general_purpose::STANDARD.encode(kept))?;
            state.serialize_field("head_bytes", &self.head.len())?;
            state.serialize_field("total_bytes", &self.total_bytes)?;
            state.serialize_field("dropped_bytes", &self.dropped_bytes)?;
            return state.end();
        }
        let mut state = serializer.serialize_struct("Captured", 3)?;
        state.serialize_field("text", &self.text())?;
        state.serialize_field("total_bytes", &self.total_bytes)?;
        state.serialize_field("dropped_bytes", &self.dropped_bytes)?;
        state.end()
    }
}

impl Captured {
    /// Whether the journal's copy reads back to the same [`Captured::kept`]
    /// text: base64 always does; text does unless the head itself holds the
    /// "bytes dropped" marker (output written to look like one), where the
    /// reader would split it.
    pub(crate) fn reads_back_exactly(&self) -> bool {
        self.dropped_bytes == 0
            || self.escapes_beyond_base64()
            || !String::from_utf8_lossy(&self.head).contains(&marker(self.dropped_bytes))
    }

    /// Whether JSON would escape the kept bytes to more than their base64:
    /// a NUL or another control character takes six bytes as `\u0000`, so
    /// 1 MiB of them would take 6 MiB of journal and record, where base64
    /// takes 1.4 MiB. Ordinary text (a few escapes) stays text.
    fn escapes_beyond_base64(&self) -> bool {
        let kept = self.head.len() + self.tail.len();
        let escaped: usize = self.head.iter().chain(self.tail.iter()).map(|&byte| escaped_len(byte)).sum();
        escaped > kept.div_ceil(3) * 4
    }
}

/// Bytes JSON takes for `byte` in a string (`\n` and the like take two,
/// other control characters six as `\u00XX`).
const fn escaped_len(byte: u8) -> usize {
    match byte {
        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
        0..=0x1f => 6,
        _ => 1,
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

    /// NUL bytes would take six bytes each as JSON escapes: such output is
    /// written as base64 and read back byte for byte; text stays text.
    #[test]
    fn control_heavy_output_is_written_as_base64_and_read_back_the_same() {
        let mut zeros = Captured::new();
        for _ in 0..100 {
            zeros.push(&[0; 1000], 4000);
        }
        zeros.push(b"end", 4000);
        let json = serde_json::to_value(&zeros).unwrap();
        assert_eq!(
            (json.get("text"), &json["head_bytes"], &json["dropped_bytes"]),
            (None, &2000.into(), &96_003.into())
        );
        assert!(serde_json::to_string(&zeros).unwrap().len() < 6000);
        assert_eq!(serde_json::from_value::<Captured>(json).unwrap(), zeros);
        let mut text = Captured::new();
        text.push(b"line one\nline \"two\"\n\x1b[0m\n", 4000);
        let json = serde_json::to_value(&text).unwrap();
        assert_eq!(json["text"], "line one\nline \"two\"\n\x1b[0m\n");
        assert_eq!(serde_json::from_value::<Captured>(json).unwrap(), text);
    }

    #[test]
    fn small_streams_are_kept_whole() {
        let mut captured = Captured::new();
        captured.push(b"hello", 1024);
        assert!(captured.is_complete());
        assert_eq!(captured.text(), "hello");
    }
}
