//! Redaction: secret values replaced by `[redacted:NAME]` in everything the
//! engine reports, so that no event, view or record can show them.

use std::borrow::Cow;
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde::{Deserialize, Serialize};

mod encoded;
mod finder;
mod fingerprint;

pub use fingerprint::Fingerprint;
pub(crate) use fingerprint::Salt;

/// A bearer token as HTTP clients echo it (`Authorization: Bearer …`,
/// `curl -v`): redacted even when no input declared it secret.
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(bearer)(\s+)[A-Za-z0-9\-._~+/]{8,}=*").expect("valid regex"));

/// An HTTP Basic credential as clients send and services echo it: checked
/// by decoding, so that a short secret inside it is found too.
static BASIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})").expect("valid regex"));

/// A run of base64 text (either alphabet), also wrapped in lines: decoded
/// to look for a secret too short to leave a distinctive run of its own.
static BASE64_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_\-]{6,}(?:\r?\n[A-Za-z0-9+/_\-]{4,})*={0,2}").expect("valid regex"));

/// A number written with a fraction or an exponent (`4821.0`, `4.821e3`),
/// as a JSON document may write a number it was given.
static WRITTEN_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)\b").expect("valid regex")
});

/// Shortest secret looked for inside decoded base64: the bytes of a shorter
/// one turn up in unrelated encoded data by chance.
const MIN_DECODED_SECRET: usize = 4;

/// What the engine writes where it cut a text short.
pub(crate) const CUT: char = '…';

/// Shortest value the journal keeps a fingerprint of: a secret's pieces
/// are redacted from 3 bytes on.
const MIN_PRINTED: usize = 3;

/// Shortest run of a given secret's characters that makes a value the run
/// obtained count as made of that secret (a shorter value counts when the
/// secret holds all of it): four would take unrelated tokens for one
/// (`Tok-` in `RunTok-…` and `S3cr3tTok-…`).
const MIN_SHARED_RUN: usize = 5;

/// The secrets of a run and their names.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest value first, so that a secret containing another is replaced
    /// whole.
    secrets: Vec<Secret>,
    /// The secrets an earlier process of a resumed run obtained, known by
    /// their fingerprints only.
    printed: fingerprint::Printed,
    /// The run's salt for fingerprints; none for output made outside a run.
    salt: Option<Salt>,
}

/// What a run learned of a secret while it ran (a token it captured, the
/// pieces of one an output's dropped middle cut in two), as the journal
/// keeps it so that a resumed run redacts it too: never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "known_by", rename_all = "snake_case", deny_unknown_fields)]
pub enum LearnedSecret {
    /// A piece of a secret the run is given again when it resumes (a
    /// secret input, an `env` probe's variable): which of its forms (as
    /// given, lower-cased, JSON-escaped, …), which bytes of that form. A
    /// resume takes the piece out of the secret given again.
    Piece {
        /// The secret's name.
        name: String,
        /// Which of its forms, by number (0: as given).
        form: usize,
        /// The piece's first byte in that form.
        from: usize,
        /// The byte after its last.
        to: usize,
    },
    /// A value the run obtained, by its fingerprint.
    Fingerprint {
        /// The name it is redacted under.
        name: String,
        /// Its fingerprint under the run's salt.
        print: Fingerprint,
    },
}

/// Why a resumed run cannot redact what an earlier process of the run
/// learned of secrets as its journal keeps it: it would write them in
/// clear, so it does not start (review-8-attack4 M3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// The journal gives no salt (or one that does not read) for its
    /// fingerprints.
    #[error(
        "the journal gives no readable `secret_salt` in its `run_started` line: the values the run obtained, which \
         it keeps as fingerprints under that salt, would be written in clear"
    )]
    Salt,
    /// A secret input that keys the journal's fingerprints has no value.
    #[error(
        "the journal's fingerprints of the values the run obtained are keyed by secret input `{name}`, which has no \
         value now: give it again, as the run was given it, or they would be written in clear"
    )]
    KeyInput {
        /// The input's name.
        name: String,
    },
    /// A piece of a secret that no value given again under its name has.
    #[error(
        "line {line} of the journal: the run learned a piece of secret `{name}` (bytes {from} to {to} of its form \
         {form}) that no value given again as `{name}` has: give `{name}` the value the run was given; if it is, the \
         line was edited"
    )]
    Piece {
        /// The journal line that gives it.
        line: usize,
        /// The secret's name.
        name: String,
        /// Which of its forms.
        form: usize,
        /// Its first byte in that form.
        from: usize,
        /// The byte after its last.
        to: usize,
    },
}

/// One secret value.
#[derive(Debug, Clone)]
struct Secret {
    value: String,
    name: String,
    /// Every form of the value (see [`encoded`]).
    pattern: Regex,
    /// The forms kept whole as literals, for the edges of a cut capture.
    literals: Vec<String>,
    /// Whether a resumed run is given it again (an input, an `env`
    /// probe's variable, read when the run starts), rather than learning
    /// it as it runs.
    given: bool,
}

impl Redactor {
    /// A redactor that replaces nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret, to be found in the forms it takes when echoed:
    /// percent-encoded, JSON- or HTML-escaped, inside base64. Empty values
    /// are ignored: there is nothing to hide.
    pub fn add(&mut self, name: &str, value: &str) {
        self.insert(name, value, true);
    }

    fn insert(&mut self, name: &str, value: &str, given: bool) {
        if value.is_empty() || self.knows(value) {
            return;
        }
        let literals = literals(value);
        let pattern = encoded::pattern(value);
        self.secrets.push(Secret { value: value.to_owned(), name: name.to_owned(), pattern, literals, given });
        self.secrets.sort_by_key(|secret| std::cmp::Reverse(secret.value.len()));
    }

    fn knows(&self, value: &str) -> bool {
        self.secrets.iter().any(|known| known.value == value)
    }

    /// Gives the run's salt, with which [`Self::learn`] makes fingerprints
    /// and the ones [`Self::restore`] gets are matched.
    pub(crate) fn salt_with(&mut self, salt: Salt) {
        self.salt = Some(salt);
    }

    /// The run's salt, if it has one.
    pub(crate) fn salt(&self) -> Option<&Salt> {
        self.salt.as_ref()
    }

    /// Adds a secret the run learned while it ran (a captured value, a
    /// piece of a secret cut in two, what a template sent of one) and says
    /// how the journal keeps it for a resumed run: a piece of a secret the
    /// run is given again by where it lies in that secret; any other value
    /// by the fingerprints of its forms ([`MIN_PRINTED`] bytes or more),
    /// unless it is named after a secret the run is given (a capture's
    /// name does not count: [`Self::learn_captured_json`]) or made of one
    /// ([`made_of`]: it holds it, a slice of it, it in another case or
    /// reversed): a digest of it would let whoever reads the journal try
    /// guesses of that secret offline (the given secret inside it is
    /// redacted after a resume all the same).
    pub(crate) fn learn(&mut self, name: &str, value: &str) -> Vec<LearnedSecret> {
        self.learn_named(name, value, true)
    }

    /// [`Self::learn`] for every value inside a JSON value, as
    /// [`Self::add_input`] adds them.
    pub(crate) fn learn_json(&mut self, name: &str, value: &serde_json::Value) -> Vec<LearnedSecret> {
        texts(value).iter().flat_map(|text| self.learn(name, text)).collect()
    }

    /// [`Self::learn_json`] for what a probe gave back (a capture): a
    /// service made it, not a template, so a name it shares with a given
    /// secret (`token`, captured and an input) says nothing of what it is
    /// made of, and it is fingerprinted unless it is a piece of that secret
    /// or made of one (review-8-attack5 H1: it was not journaled at all,
    /// and was written in clear after a resume).
    pub(crate) fn learn_captured_json(&mut self, name: &str, value: &serde_json::Value) -> Vec<LearnedSecret> {
        texts(value).iter().flat_map(|text| self.learn_named(name, text, false)).collect()
    }

    /// [`Self::learn`], a value named after a given secret kept out of the
    /// journal unless `by_name` is false.
    fn learn_named(&mut self, name: &str, value: &str, by_name: bool) -> Vec<LearnedSecret> {
        if value.is_empty() || self.knows(value) {
            return Vec::new();
        }
        let kept = self.kept_as(name, value, by_name);
        self.insert(name, value, false);
        kept
    }

    fn kept_as(&self, name: &str, value: &str, by_name: bool) -> Vec<LearnedSecret> {
        let given = || self.secrets.iter().filter(|secret| secret.given);
        for secret in given().filter(|secret| secret.name == name) {
            for (form, literal) in secret.literals.iter().enumerate() {
                if let Some(from) = literal.find(value) {
                    let to = from + value.len();
                    return vec![LearnedSecret::Piece { name: name.to_owned(), form, from, to }];
                }
            }
        }
        let Some(salt) = &self.salt else { return Vec::new() };
        if given().any(|secret| {
            by_name && secret.name == name || secret.pattern.is_match(value) || made_of(&secret.value, value)
        }) {
            return Vec::new();
        }
        literals(value)
            .iter()
            .filter(|form| form.len() >= MIN_PRINTED)
            .map(|form| LearnedSecret::Fingerprint { name: name.to_owned(), print: salt.fingerprint(form.as_bytes()) })
            .collect()
    }

    /// Learns again what an earlier process of a resumed run learned, as
    /// its journal keeps it (on `line`): a piece taken out of the secret
    /// given again (every value given under its name that has that form
    /// and those bytes), or a fingerprint. A piece that no value given
    /// again has is refused: the resumed run could not redact it.
    pub(crate) fn restore(&mut self, line: usize, learned: &LearnedSecret) -> Result<(), RestoreError> {
        match learned {
            LearnedSecret::Piece { name, form, from, to } => {
                let pieces: Vec<String> = self
                    .secrets
                    .iter()
                    .filter(|secret| secret.given && secret.name == *name)
                    .filter_map(|secret| secret.literals.get(*form)?.get(*from..*to).map(str::to_owned))
                    .collect();
                if pieces.is_empty() {
                    return Err(RestoreError::Piece { line, name: name.clone(), form: *form, from: *from, to: *to });
                }
                for piece in pieces {
                    self.insert(name, &piece, false);
                }
            }
            LearnedSecret::Fingerprint { name, print } => {
                let salt = self.salt.as_ref().ok_or(RestoreError::Salt)?;
                self.printed.add(name, print, salt);
            }
        }
        Ok(())
    }

    /// Masks what remains of a secret cut by a capture's dropped middle:
    /// the end of `head` that begins a secret, the start of `tail` that ends
    /// one (three bytes or more). Returns those pieces with their secret's
    /// name: values captured from the joined text hold them too.
    pub fn edges(&self, head: &mut Vec<u8>, tail: &mut Vec<u8>) -> Vec<(String, String)> {
        let mut pieces = Vec::new();
        for secret in &self.secrets {
            let marker = format!("[redacted:{}]", secret.name);
            for literal in &secret.literals {
                let literal = literal.as_bytes();
                if let Some(k) = (3..literal.len()).rev().find(|&k| head.ends_with(&literal[..k])) {
                    pieces.push((secret.name.clone(), String::from_utf8_lossy(&literal[..k]).into_owned()));
                    head.truncate(head.len() - k);
                    head.extend_from_slice(marker.as_bytes());
                }
                if let Some(k) = (3..literal.len()).rev().find(|&k| tail.starts_with(&literal[literal.len() - k..])) {
                    pieces.push((
                        secret.name.clone(),
                        String::from_utf8_lossy(&literal[literal.len() - k..]).into_owned(),
                    ));
                    tail.splice(..k, marker.bytes());
                }
            }
        }
        pieces
    }

    /// Adds every value inside a secret input: the text of a string or a
    /// number, each element of a list.
    pub fn add_input(&mut self, name: &str, value: &serde_json::Value) {
        for text in texts(value) {
            self.add(name, &text);
        }
    }

    /// Adds the secrets another redactor knows (a called runbook's, which
    /// began as a copy of this one).
    pub fn extend(&mut self, other: &Self) {
        for secret in &other.secrets {
            self.insert(&secret.name, &secret.value, secret.given);
        }
    }

    /// `text` with every secret (in any of its forms), every Basic
    /// credential holding one and every bearer token replaced.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = self.cut_heads(self.secrets(self.numbers(Cow::Borrowed(text))));
        if let Some(salt) = self.salt.as_ref().filter(|_| !self.printed.is_empty()) {
            text = self.printed.redact(salt, text);
        }
        if (self.secrets.iter().any(|secret| secret.value.len() >= MIN_DECODED_SECRET) || !self.printed.is_empty())
            && BASE64_RUN.is_match(&text)
        {
            let replaced =
                BASE64_RUN.replace_all(&text, |found: &regex::Captures<'_>| match self.decoded_secret(&found[0]) {
                    Some(name) => format!("[redacted:{name}]"),
                    None => found[0].to_owned(),
                });
            if let Cow::Owned(replaced) = replaced
                && replaced != *text
            {
                text = Cow::Owned(replaced);
            }
        }
        if !may_hold_credential(&text) {
            return text;
        }
        if BASIC.is_match(&text) {
            let replaced = BASIC.replace_all(&text, |found: &regex::Captures<'_>| match self.basic_secret(&found[3]) {
                Some(name) => format!("{}{}[redacted:{name}]", &found[1], &found[2]),
                None => found[0].to_owned(),
            });
            // A Basic credential that holds no secret stays, and the text
            // is not copied for it.
            if let Cow::Owned(replaced) = replaced
                && replaced != *text
            {
                text = Cow::Owned(replaced);
            }
        }
        if BEARER.is_match(&text) {
            text = Cow::Owned(BEARER.replace_all(&text, "${1}${2}[redacted:bearer]").into_owned());
        }
        text
    }

    fn secrets<'a>(&self, mut text: Cow<'a, str>) -> Cow<'a, str> {
        for secret in &self.secrets {
            if secret.pattern.is_match(&text) {
                let marker = format!("[redacted:{}]", secret.name);
                text = Cow::Owned(secret.pattern.replace_all(&text, regex::NoExpand(&marker)).into_owned());
            }
        }
        text
    }

    /// Replaces a secret number written another way in a text (`4.821e3`
    /// for 4821, in a JSON body), as [`Self::json`] does in a parsed
    /// document (review-8-attack5 M4).
    fn numbers<'a>(&self, text: Cow<'a, str>) -> Cow<'a, str> {
        let numeric = |secret: &Secret| secret.value.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.');
        let any_number = self.secrets.iter().any(numeric) || !self.printed.is_empty();
        if !any_number || !WRITTEN_NUMBER.is_match(&text) {
            return text;
        }
        let replaced = WRITTEN_NUMBER.replace_all(&text, |found: &regex::Captures<'_>| {
            let number = serde_json::from_str::<serde_json::Number>(&found[0]).ok();
            match number.as_ref().and_then(|number| self.secret_number(number)) {
                Some(name) => format!("[redacted:{name}]"),
                None => found[0].to_owned(),
            }
        });
        match replaced {
            Cow::Owned(replaced) if replaced != *text => Cow::Owned(replaced),
            _ => text,
        }
    }

    /// Masks what a cut left of a secret: a message or an excerpt the
    /// engine cuts short (a value quoted in an error, a request body shown
    /// for approval) ends where it was cut with [`CUT`], right after the
    /// text or after its closing quote, and the cut is made before the
    /// text reaches the redactor. The longest head of a secret's form
    /// (three bytes or more) that ends there is replaced, as [`Self::edges`]
    /// does for a capture's dropped middle (review-8-attack5 H6, H7).
    fn cut_heads<'a>(&self, text: Cow<'a, str>) -> Cow<'a, str> {
        if self.secrets.is_empty() || !text.contains(CUT) {
            return text;
        }
        let mut redacted = String::with_capacity(text.len());
        let mut rest = text.as_ref();
        let mut changed = false;
        while let Some(at) = rest.find(CUT) {
            let before = &rest[..at];
            let quoted = before.strip_suffix('"');
            let cut = quoted.unwrap_or(before);
            match self.head_ending(cut) {
                Some((k, name)) => {
                    redacted.push_str(&cut[..cut.len() - k]);
                    redacted.push_str("[redacted:");
                    redacted.push_str(name);
                    redacted.push_str(if quoted.is_some() { "]\"" } else { "]" });
                    changed = true;
                }
                None => redacted.push_str(before),
            }
            redacted.push(CUT);
            rest = &rest[at + CUT.len_utf8()..];
        }
        if !changed {
            return text;
        }
        redacted.push_str(rest);
        Cow::Owned(redacted)
    }

    /// The length of the longest head of a secret's form (three bytes or
    /// more, short of the whole) that `text` ends with, and its name.
    fn head_ending(&self, text: &str) -> Option<(usize, &str)> {
        self.secrets
            .iter()
            .flat_map(|secret| secret.literals.iter().map(move |literal| (literal, secret.name.as_str())))
            .filter_map(|(literal, name)| {
                let literal = literal.as_bytes();
                let k = (3..literal.len()).rev().find(|&k| text.as_bytes().ends_with(&literal[..k]))?;
                Some((k, name))
            })
            .max_by_key(|(k, _)| *k)
    }

    /// The name of the secret a base64 Basic credential holds, if any.
    fn basic_secret(&self, encoded: &str) -> Option<&str> {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
        let decoded = String::from_utf8_lossy(&decoded);
        self.secrets.iter().find(|secret| secret.pattern.is_match(&decoded)).map(|secret| secret.name.as_str())
    }

    /// The name of the secret (of [`MIN_DECODED_SECRET`] bytes or more) that
    /// a run of base64 text holds once decoded, if any.
    /// The run is read from each of its first four characters: where a
    /// longer secret's base64 was replaced first, what is left of the run
    /// may start anywhere in a 4-character group (review-8-attack5 M1).
    fn decoded_secret(&self, run: &str) -> Option<&str> {
        (0..4).find_map(|skip| {
            let decoded = decode_base64_leniently(run, skip);
            self.secrets
                .iter()
                .filter(|secret| secret.value.len() >= MIN_DECODED_SECRET)
                .find(|secret| decoded.windows(secret.value.len()).any(|window| window == secret.value.as_bytes()))
                .map(|secret| secret.name.as_str())
                .or_else(|| self.printed.held_in(self.salt.as_ref()?, &decoded, MIN_DECODED_SECRET))
        })
    }

    /// Redacts `text` where it holds a secret; leaves it, uncopied, where
    /// it holds none.
    pub fn in_place(&self, text: &mut String) {
        if let Cow::Owned(redacted) = self.text(text) {
            *text = redacted;
        }
    }

    /// Redacts every string inside a JSON value, keys included.
    pub fn json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.in_place(text),
            serde_json::Value::Number(number) => {
                if let Some(name) = self.secret_number(number) {
                    *value = serde_json::Value::from(format!("[redacted:{name}]"));
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
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }

    /// `value` with every string its JSON holds redacted, keys included;
    /// copied only when a secret was found, so that the large facts of a
    /// step with none are only read. Whether one is there is found by
    /// walking the value's serialization ([`finder`]), which nothing
    /// writes; the copy is redacted as its type ([`Redact`]).
    pub(crate) fn redacted_json<'a, T: Serialize + Redact + Clone>(&self, value: &'a T) -> Cow<'a, T> {
        if !finder::finds(self, value) {
            return Cow::Borrowed(value);
        }
        let mut redacted = value.clone();
        redacted.redact(self);
        Cow::Owned(redacted)
    }

    /// The secret a number is: written out (`4242`), or the same number
    /// written another way (`4242.0`, `4.242e3`), as a JSON document may
    /// give back a number it was sent.
    fn secret_number(&self, number: &serde_json::Number) -> Option<&str> {
        if self.secrets.is_empty() && self.printed.is_empty() {
            return None;
        }
        let text = number.to_string();
        let value = number.as_f64();
        self.secrets
            .iter()
            .find(|secret| secret.value == text || (value.is_some() && secret.value.parse::<f64>().ok() == value))
            .map(|secret| secret.name.as_str())
            .or_else(|| {
                let salt = self.salt.as_ref()?;
                self.printed.whole(salt, &text).or_else(|| self.printed.whole(salt, &integral(value?)?))
            })
    }

    /// Redacts a byte buffer holding (mostly) text. Invalid UTF-8 is kept
    /// as it was where no secret touches it.
    pub fn bytes(&self, bytes: &mut Vec<u8>) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            if let Cow::Owned(redacted) = self.text(text) {
                *bytes = redacted.into_bytes();
            }
            return;
        }
        // Each run of valid UTF-8 on its own (a secret's forms are text),
        // the bytes between kept as they were (review-8-attack3 M4).
        let mut redacted = Vec::with_capacity(bytes.len());
        let mut changed = false;
        for chunk in bytes.utf8_chunks() {
            let text = self.text(chunk.valid());
            changed |= matches!(text, Cow::Owned(_));
            redacted.extend_from_slice(text.as_bytes());
            redacted.extend_from_slice(chunk.invalid());
        }
        if changed {
            *bytes = redacted;
        }
    }
}

/// The texts inside a JSON value that are secrets when it is one: each
/// string and number (as written), in lists and maps at any depth (not
/// the keys); `true`, `false` and `null` hold none.
fn texts(value: &serde_json::Value) -> Vec<Cow<'_, str>> {
    match value {
        serde_json::Value::String(text) => vec![Cow::Borrowed(text.as_str())],
        serde_json::Value::Number(number) => vec![Cow::Owned(number.to_string())],
        serde_json::Value::Array(items) => items.iter().flat_map(texts).collect(),
        serde_json::Value::Object(map) => map.values().flat_map(texts).collect(),
        serde_json::Value::Bool(_) | serde_json::Value::Null => Vec::new(),
    }
}

/// A float that is a whole number, written as one (`987654321.0` is
/// `987654321`): a fingerprint was taken of the number as it was learned.
fn integral(value: f64) -> Option<String> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() != 0.0 || value.abs() >= EXACT {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let whole = value as i64;
    Some(whole.to_string())
}

/// Whether `value` is made of `secret`: it holds a run of [`MIN_SHARED_RUN`]
/// of its characters, or the secret holds all of it, compared without
/// case, read forwards or backwards, as what a template or a service makes
/// of a secret does (`HUNTER22`, `hunte`, `22retnuh` of `hunter22`).
fn made_of(secret: &str, value: &str) -> bool {
    let folded = secret.to_lowercase();
    let value = value.to_lowercase();
    let reversed: String = value.chars().rev().collect();
    if folded.contains(&value) || folded.contains(&reversed) {
        return true;
    }
    let secret: Vec<char> = folded.chars().collect();
    secret.windows(MIN_SHARED_RUN).any(|window| {
        let piece: String = window.iter().collect();
        value.contains(&piece) || reversed.contains(&piece)
    })
}

/// The forms of a secret kept whole as literals: each of its whole forms
/// as the engine sends it ([`encoded::sent_forms`]), the first four of
/// every whole form before the others, so that a journal's piece keeps
/// naming the form it named.
fn literals(value: &str) -> Vec<String> {
    let sent: Vec<Vec<String>> = encoded::whole_forms(value).iter().map(|whole| encoded::sent_forms(whole)).collect();
    let mut literals = Vec::new();
    for form in
        sent.iter().flat_map(|forms| forms.iter().take(4)).chain(sent.iter().flat_map(|forms| forms.iter().skip(4)))
    {
        if !literals.contains(form) {
            literals.push(form.clone());
        }
    }
    literals
}

/// A value whose texts [`Redactor::redacted_json`] redacts as its type:
/// every string and JSON value it holds, and the keys of its maps.
/// Implemented by `steps.ID`'s types, each listing every field it has, so
/// that a field added to one does not compile until it says how it is
/// redacted (numbers and names the engine gives, such as a status or an
/// outcome, are not texts from outside and stay).
pub(crate) trait Redact {
    /// Replaces the secrets `redactor` knows in every text of the value.
    fn redact(&mut self, redactor: &Redactor);
}

impl Redact for String {
    fn redact(&mut self, redactor: &Redactor) {
        redactor.in_place(self);
    }
}

impl Redact for serde_json::Value {
    fn redact(&mut self, redactor: &Redactor) {
        redactor.json(self);
    }
}

impl<T: Redact> Redact for Option<T> {
    fn redact(&mut self, redactor: &Redactor) {
        if let Some(value) = self {
            value.redact(redactor);
        }
    }
}

impl<T: Redact> Redact for Box<T> {
    fn redact(&mut self, redactor: &Redactor) {
        (**self).redact(redactor);
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self, redactor: &Redactor) {
        for value in self {
            value.redact(redactor);
        }
    }
}

impl<T: Redact> Redact for IndexMap<String, T> {
    fn redact(&mut self, redactor: &Redactor) {
        *self = std::mem::take(self)
            .into_iter()
            .map(|(key, mut value)| {
                value.redact(redactor);
                (redactor.text(&key).into_owned(), value)
            })
            .collect();
    }
}

/// Whether `text` may hold what [`BASIC`] or [`BEARER`] match: a `b` (any
/// case) followed by `as`, `aſ` (`ſ` folds to `s`) or `ea`. Most texts have
/// neither, and this test costs a vectorised search for the `b`s where the
/// two patterns cost a search each.
fn may_hold_credential(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'b', b'B', bytes).any(|at| match bytes.get(at + 1..at + 3) {
        Some(&[second, third]) => {
            let (second, third) = (second.to_ascii_lowercase(), third.to_ascii_lowercase());
            // 0xC5 begins the UTF-8 of `ſ` (U+017F).
            (second == b'a' && (third == b's' || third == 0xC5)) || (second == b'e' && third == b'a')
        }
        _ => false,
    })
}

/// The bytes a run of base64 text stands for, read in either alphabet,
/// line breaks and padding skipped, a last partial byte dropped, from its
/// `skip`th base64 character on.
fn decode_base64_leniently(run: &str, skip: usize) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(run.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in run.bytes().filter(|byte| byte.is_ascii_alphanumeric() || b"+-/_".contains(byte)).skip(skip) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => continue,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            decoded.push(u8::try_from((bits >> count) & 0xff).unwrap_or_default());
        }
    }
    decoded
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
        let clean = serde_json::json!({ "items": [{ "body": "nothing here", "status": 200 }] });
        assert!(matches!(redactor.redacted_json(&clean), Cow::Borrowed(_)));
        redactor.add("pin", "4242");
        let numbered = serde_json::json!({ "items": [{ "body": "ok", "pin": 4242 }, 7] });
        let redacted = redactor.redacted_json(&numbered);
        assert_eq!(*redacted, serde_json::json!({ "items": [{ "body": "ok", "pin": "[redacted:pin]" }, 7] }));
        // The same number as a float, as a JSON body may give it back
        // (review-8-attack3 M6).
        let floats: serde_json::Value =
            serde_json::from_str(r#"{ "pin": 4242.0, "e": 4.242e3, "near": 4242.5 }"#).unwrap();
        let redacted = redactor.redacted_json(&floats);
        assert_eq!(*redacted, serde_json::json!({ "pin": "[redacted:pin]", "e": "[redacted:pin]", "near": 4242.5 }));
    }

    /// Bytes that are not UTF-8 stay as they were beside a secret
    /// redacted from them.
    #[test]
    fn invalid_utf8_around_a_redacted_secret_is_kept() {
        let mut redactor = Redactor::new();
        redactor.add("tok", "S3cr3tTok-xy9Q");
        let mut bytes = b"\xff\x00S3cr3tTok-xy9Q\x00\xfe".to_vec();
        redactor.bytes(&mut bytes);
        assert_eq!(bytes, b"\xff\x00[redacted:tok]\x00\xfe");
        let mut clean = b"\xff plain".to_vec();
        redactor.bytes(&mut clean);
        assert_eq!(clean, b"\xff plain");
    }

    /// The quick test never lets through a text either credential
    /// pattern matches, whatever the case (`ſ` is a case form of `s`).
    #[test]
    fn the_quick_test_passes_every_text_the_credential_patterns_match() {
        for text in [
            "Authorization: Bearer abcdefgh123",
            "BEARER\tabcdefgh123",
            "basic dXNlcjpwYXNz",
            "x=BaSiC   dXNlcjpwYXNz",
            "baſic dXNlcjpwYXNz",
        ] {
            assert!(BASIC.is_match(text) || BEARER.is_match(text), "{text}");
            assert!(may_hold_credential(text), "{text}");
        }
        for text in ["{\"status\":\"ok\"}", "", "ab", "number 42", "Bob", "content-type: text/plain"] {
            assert!(!may_hold_credential(text), "{text}");
        }
        let redactor = Redactor::new();
        assert!(matches!(redactor.text("Basic notasecret"), Cow::Borrowed(_)));
        assert_eq!(redactor.text("Bearer abcdefgh123"), "Bearer [redacted:bearer]");
    }

    #[test]
    fn a_short_secret_is_found_in_base64_a_longer_one_split() {
        use base64::Engine as _;
        let mut redactor = Redactor::new();
        redactor.add("token", "RunTok-QWERTY789");
        redactor.add("session", "sess-abcdef-12345");
        redactor.add("pin", "4821");
        let body = r#"{"access_token": "RunTok-QWERTY789", "pin": 4821, "session": "sess-abcdef-12345", "x": 1}"#;
        let redacted = redactor.text(&base64::engine::general_purpose::STANDARD.encode(body)).into_owned();
        assert!(redacted.contains("[redacted:pin]"), "{redacted}");
        assert!(!redacted.contains("ODIx"), "{redacted}");
    }

    #[test]
    fn a_secret_number_is_redacted_however_a_json_text_writes_it() {
        let mut redactor = Redactor::new();
        redactor.add("pin", "4821");
        let body = r#"{"pin": 4821, "f": 4821.0, "e": 4821e0, "x": 4.821e3, "s": "4821", "other": 4.8215e3, "v": 1.5}"#;
        assert_eq!(
            redactor.text(body),
            r#"{"pin": [redacted:pin], "f": [redacted:pin], "e": [redacted:pin], "x": [redacted:pin], "s": "[redacted:pin]", "other": 4.8215e3, "v": 1.5}"#
        );
    }

    #[test]
    fn what_a_cut_left_of_a_secret_is_redacted() {
        let mut redactor = Redactor::new();
        redactor.add("token", "RunTok-QWERTY789");
        let cases = [
            ("the string \"RunTok-QWER\"… is long", "the string \"[redacted:token]\"… is long"),
            ("a string (\"xRunTok-Q…)", "a string (\"x[redacted:token]…)"),
            ("AAARunTok-QWERTY789RunTok…\n(9 bytes)", "AAA[redacted:token][redacted:token]…\n(9 bytes)"),
            ("RunTok-QWER but not cut", "RunTok-QWER but not cut"),
            ("Ru… and a cut of two bytes", "Ru… and a cut of two bytes"),
        ];
        for (text, redacted) in cases {
            assert_eq!(redactor.text(text), redacted, "{text}");
        }
    }

    #[test]
    fn url_encoded_forms_and_cut_edges_are_redacted() {
        let mut redactor = Redactor::new();
        redactor.add("token", "pa ss<w>rd");
        assert_eq!(redactor.text("?key=pa%20ss%3Cw%3Erd&x=pa+ss%3Cw%3Erd"), "?key=[redacted:token]&x=[redacted:token]");
        let mut head = b"....pa ss".to_vec();
        let mut tail = b"<w>rd....".to_vec();
        let pieces = redactor.edges(&mut head, &mut tail);
        assert_eq!(
            (head.as_slice(), tail.as_slice()),
            (b"....[redacted:token]".as_slice(), b"[redacted:token]....".as_slice())
        );
        assert!(pieces.contains(&("token".to_owned(), "pa ss".to_owned())), "{pieces:?}");
        assert!(pieces.contains(&("token".to_owned(), "<w>rd".to_owned())), "{pieces:?}");
    }

    #[test]
    fn short_secrets_are_found_inside_decoded_base64() {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut redactor = Redactor::new();
        redactor.add("pw", "Xk9#m");
        let docker = format!(r#"{{"auths":{{"reg":{{"auth":"{}"}}}}}}"#, engine.encode("bob:Xk9#m"));
        assert_eq!(redactor.text(&docker), r#"{"auths":{"reg":{"auth":"[redacted:pw]"}}}"#);
        assert_eq!(redactor.text(&format!("data: {}", engine.encode("Xk9#m"))), "data: [redacted:pw]");
        // Base64 of other text, and ordinary words, stay.
        let other = format!("auth {} and a longwordhere", engine.encode("bob:another"));
        assert_eq!(redactor.text(&other), other);
        let mut tiny = Redactor::new();
        tiny.add("pin", "Xk9");
        let short = engine.encode("bob:Xk9");
        assert_eq!(tiny.text(&short), short, "three bytes are too few to look for in decoded data");
    }

    /// What one process learned comes back in another, given the same
    /// secret input and salt: pieces by where they lie, obtained values by
    /// fingerprint; nothing journaled is a digest of the input.
    #[test]
    fn what_a_run_learned_is_redacted_by_a_resumed_one() {
        use base64::Engine as _;
        let salt = Salt::random();
        let first = |redactor: &mut Redactor| {
            redactor.add("tok", "S3cr3tTok-xy9Q");
            redactor.salt_with(salt.clone());
        };
        let mut before = Redactor::new();
        first(&mut before);
        let mut learned = before.learn("tok", "S3cr3tT");
        assert_eq!(learned, [LearnedSecret::Piece { name: "tok".into(), form: 0, from: 0, to: 7 }]);
        let token = before.learn("token", "RunTok-ABCDEFGH12");
        assert!(
            token.iter().all(|kept| matches!(kept, LearnedSecret::Fingerprint { name, print }
                if name == "token" && print.bytes == 17 && !print.sha256.contains("RunTok"))),
            "{token:?}"
        );
        learned.extend(token);
        learned.extend(before.learn_json("pin", &serde_json::json!(987_654_321)));
        // A value holding the input, or made of it by a filter, is not
        // journaled: its digest would let the input be guessed.
        assert_eq!(before.learn("seen", "Bearer S3cr3tTok-xy9Q"), []);
        assert_eq!(before.learn("tok", "S3CR3TTOK-XY9Q"), []);
        // Nor what a call or a service made of it: another case, a slice,
        // reversed (review-8-attack4 H1).
        for made in ["S3CR3TTOK-XY9Q", "S3cr3t", "r3tTok-x", "Q9yx-koTt3rc3S", "pre-s3cr3", "TTOK"] {
            assert_eq!(before.learn("key", made), [], "{made}");
        }
        assert_eq!(before.learn("token", "RunTok-ABCDEFGH12"), [], "known already");
        let text = "a S3cr3tT b RunTok-ABCDEFGH12 c runtok-abcdefgh12";
        let expected = "a [redacted:tok] b [redacted:token] c [redacted:token]";
        assert_eq!(before.text(text), expected);

        let mut after = Redactor::new();
        first(&mut after);
        assert_eq!(after.text(text), text, "nothing learned yet");
        for kept in &learned {
            after.restore(1, kept).expect("restored");
        }
        assert_eq!(after.text(text), expected);
        let encoded = base64::engine::general_purpose::STANDARD.encode("user:RunTok-ABCDEFGH12");
        assert_eq!(after.text(&format!("auth {encoded}")), "auth [redacted:token]");
        let mut json = serde_json::json!({ "pin": 987_654_321, "other": 987_654_322 });
        after.json(&mut json);
        assert_eq!(json, serde_json::json!({ "pin": "[redacted:pin]", "other": 987_654_322 }));
        // The same number given back as a float (review-8-attack4 H2).
        let mut json = serde_json::json!({ "pin": 987_654_321.0, "other": 987_654_321.5 });
        after.json(&mut json);
        assert_eq!(json, serde_json::json!({ "pin": "[redacted:pin]", "other": 987_654_321.5 }));
        // Another secret given under the name gives no piece it does not
        // have; another salt matches no fingerprint.
        let mut other = Redactor::new();
        other.add("tok", "short");
        other.salt_with(Salt::random());
        for kept in &learned {
            match kept {
                LearnedSecret::Piece { .. } => {
                    let refused = other.restore(7, kept).expect_err("no such piece in `short`");
                    assert!(refused.to_string().starts_with("line 7 of the journal"), "{refused}");
                }
                LearnedSecret::Fingerprint { .. } => other.restore(7, kept).expect("restored"),
            }
        }
        assert_eq!(other.text(text), text);
        let mut unsalted = Redactor::new();
        let print = learned.iter().find(|kept| matches!(kept, LearnedSecret::Fingerprint { .. })).expect("one");
        assert_eq!(unsalted.restore(3, print), Err(RestoreError::Salt));
    }

    /// Every text the engine itself makes of a value it sends (a URL's
    /// user info, path, query and fragment, plain and `| urlencode`d, as
    /// written and as the URL parser writes the request; `| tojson`; `sh:`)
    /// is redacted by the run that obtained the value, and by a resumed run
    /// that knows it only by its fingerprints (code review H2: a path's
    /// `+` and `:`, a query's `/`, were written in clear after a resume).
    #[test]
    fn what_the_engine_sends_of_a_value_is_redacted_live_and_after_a_resume() {
        use crate::template::{RenderMode, Templates};
        let value = r#"Tok+en/Run=42:ab@cd!ef<g>&h'i"j é"#;
        let templates = Templates::new();
        let context = minijinja::Value::from(minijinja::value::Serde(serde_json::json!({ "v": value })));
        let url = "http://u:{{ v }}@h/p/{{ v }}/x/{{ v | urlencode }}?q={{ v }}&r={{ v | urlencode }}#{{ v }}";
        let written = crate::url_values::encode(&templates.render_marked_url(url, &context).unwrap()).unwrap();
        let parsed = reqwest::Url::parse(&written).unwrap().to_string();
        let json = templates.render("{{ v | tojson }}", &context, RenderMode::Text).unwrap();
        let shell = templates.render("echo {{ v }}", &context, RenderMode::Shell).unwrap();
        let body = serde_json::json!({ "token": value }).to_string();
        let sent = [written, parsed, json, shell, body];
        let salt = Salt::random();
        let mut live = Redactor::new();
        live.salt_with(salt.clone());
        let learned = live.learn("token", value);
        let mut resumed = Redactor::new();
        resumed.salt_with(salt);
        for kept in &learned {
            resumed.restore(1, kept).expect("restored");
        }
        for text in &sent {
            assert!(text.contains("Run"), "{text}");
            for (who, redactor) in [("live", &live), ("resumed", &resumed)] {
                let redacted = redactor.text(text);
                assert!(!redacted.contains("Run"), "{who}: {text}\n→ {redacted}");
            }
        }
        // The list both paths share: the pattern of a secret matches every
        // form a resumed run fingerprints.
        for form in encoded::sent_forms(value) {
            assert_eq!(live.text(&form), "[redacted:token]", "{form}");
        }
    }

    /// A secret input and a captured secret are walked alike (code review
    /// L10: `learn_json` repeated `add_input`'s walk).
    #[test]
    fn the_texts_of_a_json_secret_are_its_strings_and_numbers_at_any_depth() {
        let value = serde_json::json!({ "key": ["x1", 2, true, null, { "inner": "y2" }], "n": 3.5 });
        assert_eq!(texts(&value), ["x1", "2", "y2", "3.5"]);
        let mut given = Redactor::new();
        given.add_input("s", &value);
        let mut learned = Redactor::new();
        let _ = learned.learn_json("s", &value);
        let values = |redactor: &Redactor| redactor.secrets.iter().map(|s| s.value.clone()).collect::<Vec<_>>();
        assert_eq!(values(&given), values(&learned));
    }

    /// A token captured under a secret input's name is fingerprinted and
    /// redacted after a resume; what a template made under that name is
    /// not journaled (review-8-attack5 H1).
    #[test]
    fn a_capture_named_like_a_secret_input_is_fingerprinted() {
        let salt = Salt::random();
        let mut before = Redactor::new();
        before.add("token", "InTok-abcdef123");
        before.salt_with(salt.clone());
        assert_eq!(before.learn("token", "Zq9Captured-7788"), [], "a value a template made under the input's name");
        let mut run = Redactor::new();
        run.add("token", "InTok-abcdef123");
        run.salt_with(salt.clone());
        let learned = run.learn_captured_json("token", &serde_json::json!("Zq9Captured-7788"));
        assert!(!learned.is_empty() && learned.iter().all(|kept| matches!(kept, LearnedSecret::Fingerprint { .. })));
        assert_eq!(run.learn_captured_json("token", &serde_json::json!("abcdef")).len(), 1, "a piece stays a piece");
        let mut after = Redactor::new();
        after.add("token", "InTok-abcdef123");
        after.salt_with(salt);
        for kept in &learned {
            after.restore(1, kept).expect("restored");
        }
        assert_eq!(after.text("got Zq9Captured-7788"), "got [redacted:token]");
    }

    #[test]
    fn bearer_tokens_are_redacted_without_being_declared() {
        let redactor = Redactor::new();
        let echoed = "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc\n< 200";
        assert_eq!(redactor.text(echoed), "> Authorization: Bearer [redacted:bearer]\n< 200");
        assert_eq!(redactor.text("bearer short"), "bearer short");
    }
}
