//! Secrets a resumed run knows only by their fingerprint: a value the run
//! obtained (a captured token) is never journaled, so the journal keeps its
//! byte length, a weak 16-bit rolling hash and a salted SHA-256 instead.
//! A resumed run slides a window of each such length over what it redacts:
//! the rolling hash rules out nearly every window at the cost of a few
//! operations, and a window it lets through is redacted only when its
//! salted digest is the one journaled. The cost is linear in the text per
//! distinct length.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Bytes of the per-run salt.
const SALT_BYTES: usize = 16;

/// A value known by its fingerprint, never by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// Its length in bytes.
    pub bytes: usize,
    /// A 16-bit rolling hash of its bytes: only a prefilter, so weak that
    /// it tells next to nothing about the value.
    pub weak: u16,
    /// SHA-256 of the run's salt followed by the value, hex.
    pub sha256: String,
}

impl Fingerprint {
    /// Why a journaled fingerprint cannot stand for a value, if it cannot:
    /// its digest is not 64 hex digits, or its length is nought. Such a
    /// line was edited or damaged, and a resumed run would redact nothing
    /// with it.
    pub(crate) fn unreadable(&self) -> Option<String> {
        if self.bytes == 0 {
            return Some("its length is 0 bytes".to_owned());
        }
        if self.sha256.len() != 64 || from_hex(&self.sha256).is_none() {
            return Some(format!("its sha256 `{}` is not 64 hex digits", self.sha256));
        }
        None
    }
}

/// The run's random salt, hex in `run_started`: the same value gives
/// another digest in every run, so a digest cannot be looked up in a table
/// made before. A run with secret inputs keys it with their values too
/// ([`Salt::keyed_with`]), which the journal does not hold: whoever reads
/// the journal alone cannot test guesses of a short value (a 4-digit PIN)
/// against its fingerprint (review-8-attack4 L6, code review H1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Salt {
    /// The random bytes, which the journal keeps.
    bytes: Vec<u8>,
    /// A digest of the salt and the run's secret inputs, which it does
    /// not: fingerprints are made under it when there is one.
    keyed: Option<[u8; 32]>,
}

impl Salt {
    /// A new random salt from the operating system (`getrandom(2)`), not
    /// from the TLS stack's source, whose first use seeds aws-lc's jitter
    /// entropy collector: about 20 ms of CPU that every run paid, HTTPS or
    /// not. Should it fail, the salt is a digest of what makes this draw
    /// unlike any other ([`unique`]): the salt is written in the journal, so
    /// it needs to differ from run to run, not to be secret, and a run
    /// always has one (a journal without one is refused as damaged).
    pub(crate) fn random() -> Self {
        let mut bytes = vec![0; SALT_BYTES];
        if getrandom::fill(&mut bytes).is_err() {
            bytes = unique();
        }
        Self { bytes, keyed: None }
    }

    /// The salt a journal gives, as hex: `None` unless it is the
    /// [`SALT_BYTES`] bytes a run draws.
    pub(crate) fn from_hex(hex: &str) -> Option<Self> {
        from_hex(hex).filter(|bytes| bytes.len() == SALT_BYTES).map(|bytes| Self { bytes, keyed: None })
    }

    /// The salt keyed with the values of the run's secret inputs (by name,
    /// in the order given, which the caller keeps the same on a resume):
    /// its fingerprints change with each value. Without any, the salt stays
    /// as it is, and so do the fingerprints made under it.
    pub(crate) fn keyed_with<'a>(mut self, inputs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"runbook fingerprint key\0");
        hasher.update(&self.bytes);
        let mut any = false;
        for (name, value) in inputs {
            any = true;
            for part in [name.as_bytes(), value.as_bytes()] {
                hasher.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_le_bytes());
                hasher.update(part);
            }
        }
        self.keyed = any.then(|| hasher.finalize().into());
        self
    }

    /// The salt as `run_started` writes it: the random bytes only.
    pub(crate) fn hex(&self) -> String {
        to_hex(&self.bytes)
    }

    /// What digests are made under: the keyed digest, or the salt.
    fn key(&self) -> &[u8] {
        self.keyed.as_ref().map_or(self.bytes.as_slice(), |keyed| keyed.as_slice())
    }

    /// The fingerprint of `value` under this salt.
    pub(crate) fn fingerprint(&self, value: &[u8]) -> Fingerprint {
        Fingerprint { bytes: value.len(), weak: weak(rolling(value, self.base())), sha256: to_hex(&self.digest(value)) }
    }

    /// The rolling hash's multiplier in this run: odd (so that every byte
    /// of a window counts in its low bits) and drawn from the (keyed) salt, so that
    /// the weak hash of a value differs from run to run too and cannot link
    /// the same secret across journals (review-8-attack4 H1).
    fn base(&self) -> u32 {
        let mut bytes = [0; 4];
        for (at, byte) in self.key().iter().take(4).enumerate() {
            bytes[at] = *byte;
        }
        u32::from_le_bytes(bytes) | 1
    }

    fn digest(&self, value: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.key());
        hasher.update(value);
        hasher.finalize().into()
    }
}

/// The secrets known by fingerprint, grouped by length for the sliding
/// windows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Printed {
    /// Longest first: a value containing another is replaced whole.
    lengths: Vec<Length>,
}

/// The fingerprints of one length.
#[derive(Debug, Clone)]
struct Length {
    bytes: usize,
    /// `BASE` to the power `bytes`, to take the byte leaving the window out.
    leaving: u32,
    /// One bit per weak hash of these fingerprints: the prefilter.
    weak: Box<[u64; 1024]>,
    /// The digests and names, looked at when the prefilter lets a window by.
    known: Vec<([u8; 32], String)>,
}

impl Printed {
    /// Whether no value is known by fingerprint.
    pub(crate) fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Adds a fingerprint made under `salt`, the value it stands for
    /// redacted under `name`. One that does not read (a digest that is not
    /// 64 hex digits) adds nothing.
    pub(crate) fn add(&mut self, name: &str, print: &Fingerprint, salt: &Salt) {
        let Some(digest) = from_hex(&print.sha256).and_then(|digest| <[u8; 32]>::try_from(digest).ok()) else {
            return;
        };
        if print.bytes == 0 {
            return;
        }
        let at = match self.lengths.binary_search_by(|length| print.bytes.cmp(&length.bytes)) {
            Ok(at) => at,
            Err(at) => {
                let leaving = power(salt.base(), print.bytes);
                self.lengths
                    .insert(at, Length { bytes: print.bytes, leaving, weak: Box::new([0; 1024]), known: Vec::new() });
                at
            }
        };
        let length = &mut self.lengths[at];
        if !length.known.iter().any(|(known, _)| *known == digest) {
            length.weak[usize::from(print.weak >> 6)] |= 1 << (print.weak & 63);
            length.known.push((digest, name.to_owned()));
        }
    }

    /// `text` with every value known by fingerprint replaced by
    /// `[redacted:NAME]`, longest first; uncopied where there is none.
    pub(crate) fn redact<'a>(&self, salt: &Salt, mut text: Cow<'a, str>) -> Cow<'a, str> {
        for length in &self.lengths {
            let found = length.windows(salt, text.as_bytes(), true);
            if found.is_empty() {
                continue;
            }
            let mut replaced = String::with_capacity(text.len());
            let mut kept = 0;
            for (at, name) in found {
                if !text.is_char_boundary(at) || !text.is_char_boundary(at + length.bytes) {
                    continue;
                }
                replaced.push_str(&text[kept..at]);
                replaced.push_str("[redacted:");
                replaced.push_str(name);
                replaced.push(']');
                kept = at + length.bytes;
            }
            replaced.push_str(&text[kept..]);
            text = Cow::Owned(replaced);
        }
        text
    }

    /// The name of a value of `min` bytes or more known by fingerprint
    /// that `bytes` hold (decoded base64), if any.
    pub(crate) fn held_in(&self, salt: &Salt, bytes: &[u8], min: usize) -> Option<&str> {
        self.lengths
            .iter()
            .filter(|length| length.bytes >= min)
            .find_map(|length| length.windows(salt, bytes, false).first().map(|(_, name)| *name))
    }

    /// The name of the value known by fingerprint that `text` is, whole.
    pub(crate) fn whole(&self, salt: &Salt, text: &str) -> Option<&str> {
        let length = self.lengths.iter().find(|length| length.bytes == text.len())?;
        length.windows(salt, text.as_bytes(), false).first().map(|(_, name)| *name)
    }
}

impl Length {
    /// Where windows of this length in `bytes` are values of these
    /// fingerprints (after each other, never overlapping), with their
    /// names; only the first when `every` is false.
    fn windows<'s>(&'s self, salt: &Salt, bytes: &[u8], every: bool) -> Vec<(usize, &'s str)> {
        let mut found = Vec::new();
        let width = self.bytes;
        if bytes.len() < width {
            return found;
        }
        let base = salt.base();
        let mut at = 0;
        let mut hash = rolling(&bytes[..width], base);
        loop {
            let print = weak(hash);
            if self.weak[usize::from(print >> 6)] & (1 << (print & 63)) != 0 {
                let digest = salt.digest(&bytes[at..at + width]);
                if let Some((_, name)) = self.known.iter().find(|(known, _)| *known == digest) {
                    found.push((at, name.as_str()));
                    if !every {
                        return found;
                    }
                    at += width;
                    if at + width > bytes.len() {
                        return found;
                    }
                    hash = rolling(&bytes[at..at + width], base);
                    continue;
                }
            }
            if at + width >= bytes.len() {
                return found;
            }
            hash = hash
                .wrapping_mul(base)
                .wrapping_add(u32::from(bytes[at + width]))
                .wrapping_sub(u32::from(bytes[at]).wrapping_mul(self.leaving));
            at += 1;
        }
    }
}

/// `base` to the power `exponent`, modulo 2³², by squaring: a length read
/// from a journal may be anything, and a loop over it would never end.
fn power(mut base: u32, mut exponent: usize) -> u32 {
    let mut result = 1u32;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = result.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exponent >>= 1;
    }
    result
}

/// The polynomial hash of `bytes`: Σ byte·baseⁿ⁻¹⁻ⁱ, modulo 2³².
fn rolling(bytes: &[u8], base: u32) -> u32 {
    bytes.iter().fold(0u32, |hash, byte| hash.wrapping_mul(base).wrapping_add(u32::from(*byte)))
}

/// The 16 bits of a rolling hash that a fingerprint keeps, its halves
/// folded together.
fn weak(hash: u32) -> u16 {
    u16::try_from((hash ^ (hash >> 16)) & 0xffff).unwrap_or_default()
}

/// [`SALT_BYTES`] bytes no other draw gives: a digest of the time, the
/// process, a count of the draws and the keys std's hasher draws from the
/// system for each new `RandomState`.
fn unique() -> Vec<u8> {
    use std::hash::{BuildHasher as _, Hasher as _};
    static DRAWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = Sha256::new();
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    hasher.update(since.as_nanos().to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(DRAWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_le_bytes());
    hasher.update(std::collections::hash_map::RandomState::new().build_hasher().finish().to_le_bytes());
    hasher.finalize()[..SALT_BYTES].to_vec()
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salt() -> Salt {
        Salt::from_hex("00112233445566778899aabbccddeeff").expect("hex")
    }

    #[test]
    fn the_leaving_power_is_the_product_of_its_bases() {
        for exponent in 0..200 {
            let product = (0..exponent).fold(1u32, |power, _| power.wrapping_mul(0x9e37_79b1));
            assert_eq!(power(0x9e37_79b1, exponent), product, "exponent {exponent}");
        }
    }

    #[test]
    fn a_journaled_length_no_output_can_hold_matches_nothing() {
        let salt = salt();
        let mut printed = Printed::default();
        let mut huge = salt.fingerprint(b"RunTok-ABCDEFGH12");
        huge.bytes = 1 << 40;
        printed.add("edited", &huge, &salt);
        printed.add("token", &salt.fingerprint(b"RunTok-ABCDEFGH12"), &salt);
        assert_eq!(printed.held_in(&salt, b"x RunTok-ABCDEFGH12 y", 3), Some("token"));
    }

    #[test]
    fn a_value_known_by_fingerprint_is_redacted_wherever_it_falls() {
        let salt = salt();
        let mut printed = Printed::default();
        printed.add("token", &salt.fingerprint(b"RunTok-ABCDEFGH12"), &salt);
        printed.add("piece", &salt.fingerprint(b"Tok"), &salt);
        let text = "a RunTok-ABCDEFGH12 b RunTok-ABCDEFGH12RunTok-ABCDEFGH12 c Tok ä";
        assert_eq!(
            printed.redact(&salt, Cow::Borrowed(text)),
            "a [redacted:token] b [redacted:token][redacted:token] c [redacted:piece] ä"
        );
        let clean = "RunTak-ABCDEFGH13 and T o k";
        assert!(matches!(printed.redact(&salt, Cow::Borrowed(clean)), Cow::Borrowed(_)));
        assert_eq!(printed.whole(&salt, "RunTok-ABCDEFGH12"), Some("token"));
        assert_eq!(printed.held_in(&salt, b"user:RunTok-ABCDEFGH12", 4), Some("token"));
        // Another salt makes another digest: the fingerprint does not
        // match the value under it.
        let other = Salt::from_hex("ff112233445566778899aabbccddeeff").expect("hex");
        assert!(matches!(printed.redact(&other, Cow::Borrowed("RunTok-ABCDEFGH12")), Cow::Borrowed(_)));
    }

    #[test]
    fn the_rolling_hash_is_the_hash_of_each_window() {
        let bytes = b"the quick brown fox jumps over the lazy dog";
        let width = 7;
        let base = salt().base();
        let leaving = (0..width).fold(1u32, |power, _| power.wrapping_mul(base));
        let mut hash = rolling(&bytes[..width], base);
        for at in 0..bytes.len() - width {
            assert_eq!(hash, rolling(&bytes[at..at + width], base), "window {at}");
            hash = hash
                .wrapping_mul(base)
                .wrapping_add(u32::from(bytes[at + width]))
                .wrapping_sub(u32::from(bytes[at]).wrapping_mul(leaving));
        }
    }

    /// The weak hash is salted too: the same value's differs between runs,
    /// so that it does not link journals of the same secret.
    #[test]
    fn the_weak_hash_of_a_value_differs_under_another_salt() {
        let other = Salt::from_hex("0f1e2d3c4b5a69788796a5b4c3d2e1f0").expect("hex");
        let (one, two) = (salt().fingerprint(b"hunter22"), other.fingerprint(b"hunter22"));
        assert_ne!(one.weak, two.weak);
        assert_ne!(one.sha256, two.sha256);
    }

    /// With secret inputs, the digest of a value changes with their values
    /// (L6, H1): the salt alone, which the journal holds, does not give it.
    /// Without any, it is the salt's alone, as journals before keep it.
    #[test]
    fn the_digest_changes_with_the_secret_inputs() {
        let pin = b"4242";
        let plain = salt().fingerprint(pin);
        let mut unkeyed = Sha256::new();
        unkeyed.update(salt().bytes);
        unkeyed.update(pin);
        assert_eq!(plain.sha256, to_hex(&unkeyed.finalize()), "no secret input: the salt alone");
        assert_eq!(salt().keyed_with([]).fingerprint(pin), plain);
        let one = salt().keyed_with([("api_key", "k-1")]).fingerprint(pin);
        let other = salt().keyed_with([("api_key", "k-2")]).fingerprint(pin);
        let renamed = salt().keyed_with([("api_kex", "k-1")]).fingerprint(pin);
        for print in [&one, &other, &renamed] {
            assert_ne!(print.sha256, plain.sha256);
        }
        assert_ne!(one.sha256, other.sha256);
        assert_ne!(one.sha256, renamed.sha256);
        assert_eq!(salt().keyed_with([("api_key", "k-1")]).fingerprint(pin), one, "the same inputs, the same digest");
        assert_eq!(salt().keyed_with([("api_key", "k-1")]).hex(), salt().hex(), "the journal keeps the salt alone");
        // Whoever holds the salt alone finds no PIN whose digest is it.
        let found = (0..10_000)
            .map(|n| format!("{n:04}"))
            .find(|guess| salt().fingerprint(guess.as_bytes()).sha256 == one.sha256);
        assert_eq!(found, None);
        let mut printed = Printed::default();
        let keyed = salt().keyed_with([("api_key", "k-1")]);
        printed.add("pin", &one, &keyed);
        assert_eq!(printed.whole(&keyed, "4242"), Some("pin"));
        assert_eq!(printed.whole(&salt().keyed_with([("api_key", "k-2")]), "4242"), None);
    }

    /// Without the random source, each draw still differs and reads back.
    #[test]
    fn the_fallback_salt_differs_from_draw_to_draw() {
        let (one, two) = (unique(), unique());
        assert_eq!((one.len(), two.len()), (SALT_BYTES, SALT_BYTES));
        assert_ne!(one, two);
        assert!(Salt::from_hex(&to_hex(&one)).is_some());
    }

    #[test]
    fn two_random_salts_differ() {
        let (one, two) = (Salt::random(), Salt::random());
        assert_eq!(one.bytes.len(), SALT_BYTES);
        assert_ne!(one, two);
    }

    #[test]
    fn a_salt_reads_back_from_its_hex() {
        let salt = Salt::random();
        assert_eq!(Salt::from_hex(&salt.hex()), Some(salt.clone()));
        assert_eq!(Salt::from_hex("abc"), None);
        assert_eq!(Salt::from_hex("zz"), None);
        assert_eq!(Salt::from_hex(""), None);
        assert_eq!(Salt::from_hex("ff"), None, "shorter than a run draws");
        assert_eq!(Salt::from_hex(&format!("{}00", salt.hex())), None, "longer than a run draws");
    }
}
