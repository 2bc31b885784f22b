//! Redaction: secret values replaced by `[redacted:NAME]` in everything the
//! engine reports, so that no event, view or record can show them.

use std::borrow::Cow;

/// The secrets of a run and their names.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest value first, so that a secret containing another is replaced
    /// whole.
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor that replaces nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret. Empty values are ignored: there is nothing to hide.
    pub fn add(&mut self, name: &str, value: &str) {
        if value.is_empty() || self.secrets.iter().any(|(known, _)| known == value) {
            return;
        }
        self.secrets.push((value.to_owned(), name.to_owned()));
        self.secrets.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    }

    /// Whether there is anything to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for (value, name) in &self.secrets {
            if text.contains(value.as_str()) {
                text = Cow::Owned(text.replace(value.as_str(), &format!("[redacted:{name}]")));
            }
        }
        text
    }

    /// Redacts every string inside a JSON value, keys included.
    pub fn json(&self, value: &mut serde_json::Value) {
        if self.is_empty() {
            return;
        }
        match value {
            serde_json::Value::String(text) => {
                if let Cow::Owned(redacted) = self.text(text) {
                    *text = redacted;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                *map = entries
                    .into_iter()
                    .map(|(key, mut value)| {
                        self.json(&mut value);
                        (self.text(&key).into_owned(), value)
                    })
                    .collect();
            }
            _ => {}
        }
    }

    /// Redacts a byte buffer holding (mostly) text. Invalid UTF-8 is kept
    /// as it was where no secret touches it.
    pub fn bytes(&self, bytes: &mut Vec<u8>) {
        if self.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        if let Cow::Owned(redacted) = self.text(&text) {
            *bytes = redacted.into_bytes();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_longest_first() {
        let mut redactor = Redactor::new();
        redactor.add("token", "abc");
        redactor.add("password", "abc123");
        redactor.add("empty", "");
        assert_eq!(redactor.text("x abc123 abc y"), "x [redacted:password] [redacted:token] y");
        let mut json = serde_json::json!({ "abc": ["abc123", 1] });
        redactor.json(&mut json);
        assert_eq!(json, serde_json::json!({ "[redacted:token]": ["[redacted:password]", 1] }));
    }
}
