//! The forms a secret predictably takes in what the engine makes of it and
//! a service echoes back: as typed, percent-encoded (wholly or partly,
//! either hex case, `+` for a space), JSON-escaped (`\"`, `\\`, `\/`,
//! `\uXXXX`) once or more (a JSON body echoed inside another JSON string
//! doubles each backslash), HTML-escaped, inside base64 (an HTTP Basic
//! `user:secret`, a token wrapping it; also wrapped in lines, as `base64`,
//! PEM and MIME print it), with its backslash escapes (`\r`, `\t`, `\n`, …)
//! interpreted, as `echo` and `printf` do, shell-quoted as the engine
//! quotes values into `sh:` (`'` as `'\''`), lower-cased or in punycode, as
//! a URL parser writes a host name, with `\` as `/` and tabs and line breaks
//! dropped, as it writes a path, and re-serialized when it is JSON text.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use regex::Regex;

/// Shortest run of base64 characters matched as "a secret inside base64":
/// shorter runs would match unrelated base64 text by chance.
const MIN_BASE64_CORE: usize = 8;

/// Shortest string inside a JSON secret that is redacted on its own (a
/// value a capture can take out of it): shorter ones are the document's
/// ordinary words (`"type"`, `"v1"`).
const MIN_JSON_LEAF: usize = 8;

/// One regex matching `secret` in every form above.
pub(super) fn pattern(secret: &str) -> Regex {
    let mut alternatives: Vec<String> = whole_forms(secret).iter().map(|form| characters(form)).collect();
    if let Some(host) = as_host(secret) {
        alternatives.push(regex::escape(&host));
    }
    alternatives.extend(base64_cores(secret.as_bytes()).iter().map(|core| wrapped(core)));
    // The pattern is built from escaped pieces, so it always compiles; a
    // size limit is the only way out, and a secret that long is matched as
    // typed instead.
    Regex::new(&alternatives.join("|")).unwrap_or_else(|_| Regex::new(&regex::escape(secret)).expect("escaped literal"))
}

/// The texts the secret becomes before any of its characters is escaped:
/// as typed, with its backslash escapes interpreted, lower-cased, as a URL
/// parser writes it in a path (`\` as `/`, tabs and line breaks dropped),
/// and, for a secret that is a JSON document, its compact and indented
/// serializations and the strings in it of [`MIN_JSON_LEAF`] characters or
/// more (what a `json:` capture takes out of it).
pub(super) fn whole_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let mut push = |form: String| {
        if !form.is_empty() && !forms.contains(&form) {
            forms.push(form);
        }
    };
    push(interpreted(secret));
    push(secret.to_lowercase());
    push(secret.replace('\\', "/").replace(['\t', '\n', '\r'], ""));
    if let Ok(document @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) =
        serde_json::from_str::<serde_json::Value>(secret)
    {
        push(document.to_string());
        push(serde_json::to_string_pretty(&document).unwrap_or_default());
        let mut leaves = Vec::new();
        string_leaves(&document, &mut leaves);
        leaves.into_iter().filter(|leaf| leaf.chars().count() >= MIN_JSON_LEAF).for_each(&mut push);
    }
    forms
}

/// What the engine itself makes of `value` when it sends it, the value
/// first: JSON-escaped (as a `json:` body and the journal write it), as
/// percent-encoded wholly and as a form, then as `| tojson` writes it
/// (also `<`, `>`, `&` and `'` as `\u00XX`), as a URL carries it where it
/// lands ([`crate::url_values::sent_forms`]), and inside the engine's
/// shell quoting (`'` as `'\''`); the same form may come more than once.
/// The first four keep their places: a journal's pieces name a form by its
/// number. A resumed run knows a value it obtained by the fingerprints of
/// these forms alone, where the run that obtained it matched every form
/// [`pattern`] does: a test holds [`pattern`] to match every form listed
/// here.
pub(super) fn sent_forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_owned();
    let mut forms = vec![value.to_owned(), json.clone(), percent_encoded(value, false), percent_encoded(value, true)];
    forms.push(json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026").replace('\'', "\\u0027"));
    forms.extend(crate::url_values::sent_forms(value));
    forms.push(value.replace('\'', r"'\''"));
    forms
}

/// `text` as a URL carries it: unreserved characters kept, the rest as
/// `%XX`; with `form`, spaces as `+`.
fn percent_encoded(text: &str, form: bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => encoded.push(char::from(byte)),
            b' ' if form => encoded.push('+'),
            _ => {
                let _ = write!(encoded, "%{byte:02X}");
            }
        }
    }
    encoded
}

/// Every string inside a JSON value, keys included.
fn string_leaves(value: &serde_json::Value, leaves: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => leaves.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| string_leaves(item, leaves)),
        serde_json::Value::Object(map) => map.iter().for_each(|(key, item)| {
            leaves.push(key.clone());
            string_leaves(item, leaves);
        }),
        _ => {}
    }
}

/// A base64 core as a pattern that also matches it wrapped in lines.
fn wrapped(core: &str) -> String {
    core.chars().map(|c| regex::escape(&c.to_string())).collect::<Vec<_>>().join(r"(?:\r?\n)?")
}

/// The secret's characters, each in any of its escaped forms.
fn characters(secret: &str) -> String {
    let mut pattern = String::new();
    for c in secret.chars() {
        pattern.push_str("(?:");
        pattern.push_str(&regex::escape(&c.to_string()));
        let mut utf8 = [0; 4];
        pattern.push('|');
        for byte in c.encode_utf8(&mut utf8).bytes() {
            let _ = write!(pattern, "%{}", hex_any_case(u32::from(byte), 2));
        }
        let mut units = [0; 2];
        pattern.push('|');
        // One backslash per JSON escape, doubled by each further one.
        for unit in c.encode_utf16(&mut units) {
            let _ = write!(pattern, r"\\+u{}", hex_any_case(u32::from(*unit), 4));
        }
        if let Some(letter) = json_escape(c) {
            let _ = write!(pattern, r"|\\+{}", regex::escape(&letter.to_string()));
        }
        // `"`, `/` (and HTML's `&quot;`) after any backslashes: JSON-escaped
        // once or more, then perhaps HTML-escaped.
        match c {
            '"' | '/' => {
                let _ = write!(pattern, r"|\\+{}", regex::escape(&c.to_string()));
            }
            '\\' => pattern.push_str(r"|\\+"),
            _ => {}
        }
        for escaped in escapes(c) {
            pattern.push_str(if c == '"' { r"|\\*" } else { "|" });
            pattern.push_str(&regex::escape(escaped));
        }
        pattern.push(')');
    }
    pattern
}

/// The letter of `c`'s short JSON escape (`\n` for a line feed), for the
/// characters whose escape is not the character itself after a backslash.
const fn json_escape(c: char) -> Option<char> {
    match c {
        '\n' => Some('n'),
        '\r' => Some('r'),
        '\t' => Some('t'),
        '\u{8}' => Some('b'),
        '\u{c}' => Some('f'),
        _ => None,
    }
}

/// `secret` as a URL parser writes it as a host name, when it could be
/// one and that changes it: lower-cased, internationalized names in
/// punycode (`xn--…`), as an error about the host shows it.
fn as_host(secret: &str) -> Option<String> {
    if !secret.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.') {
        return None;
    }
    let url = reqwest::Url::parse(&format!("http://{secret}/")).ok()?;
    url.host_str().filter(|host| *host != secret && *host != secret.to_lowercase()).map(str::to_owned)
}

/// `secret` with its backslash escapes turned into the characters they
/// stand for, as `echo` (dash's) and `printf` print them: `\r`, `\n`, `\t`,
/// `\b`, `\f`, `\v`, `\a`, `\e` and `\\`. Other backslashes are kept.
fn interpreted(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len());
    let mut chars = secret.chars().peekable();
    while let Some(c) = chars.next() {
        let meant = match (c, chars.peek()) {
            ('\\', Some('r')) => '\r',
            ('\\', Some('n')) => '\n',
            ('\\', Some('t')) => '\t',
            ('\\', Some('b')) => '\u{8}',
            ('\\', Some('f')) => '\u{c}',
            ('\\', Some('v')) => '\u{b}',
            ('\\', Some('a')) => '\u{7}',
            ('\\', Some('e')) => '\u{1b}',
            ('\\', Some('\\')) => '\\',
            _ => {
                out.push(c);
                continue;
            }
        };
        chars.next();
        out.push(meant);
    }
    out
}

/// Escapes of HTML and form encoding for `c`; a backslash stands for its
/// JSON escapes, a run of backslashes.
fn escapes(c: char) -> &'static [&'static str] {
    match c {
        '"' => &["&quot;", "&#34;", "&#x22;"],
        '&' => &["&amp;", "&#38;"],
        '<' => &["&lt;", "&#60;"],
        '>' => &["&gt;", "&#62;"],
        // The last: the engine's own shell quoting of a value (`'\''`).
        '\'' => &["&#39;", "&#x27;", "&apos;", r"'\''"],
        ' ' => &["+"],
        _ => &[],
    }
}

/// `value` as hexadecimal digits, each letter in either case: `[aA]`.
fn hex_any_case(value: u32, width: usize) -> String {
    format!("{value:0width$X}")
        .chars()
        .map(|digit| {
            if digit.is_ascii_alphabetic() { format!("[{digit}{}]", digit.to_ascii_lowercase()) } else { digit.into() }
        })
        .collect()
}

/// The base64 characters that only the secret's bits decide, for each of
/// the three alignments it can have inside longer encoded data, in the
/// standard and the URL-safe alphabets: what remains the same whatever
/// surrounds it (`user:` before, anything after).
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut cores = Vec::new();
    for offset in 0..3 {
        let mut data = vec![0; offset];
        data.extend_from_slice(secret);
        let first = (offset * 8).div_ceil(6);
        let end = (data.len() * 8) / 6;
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&data);
            if let Some(core) = encoded.get(first..end).filter(|core| core.len() >= MIN_BASE64_CORE)
                && !cores.iter().any(|known| known == core)
            {
                cores.push(core.to_owned());
            }
        }
    }
    cores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_forms_a_secret_takes_when_echoed() {
        let secret = r#"p@ss w"rd\é/1"#;
        let pattern = pattern(secret);
        for form in [
            secret.to_owned(),
            serde_json::to_string(secret).unwrap().trim_matches('"').to_owned(),
            r#"p@ss w\"rd\\\u00e9\/1"#.to_owned(),
            "p%40ss%20w%22rd%5C%C3%A9%2F1".to_owned(),
            "p@ss%20w%22rd%5c%c3%a9/1".to_owned(),
            "p%40ss+w%22rd%5C%C3%A9%2F1".to_owned(),
            "p@ss w&quot;rd\\é/1".to_owned(),
        ] {
            assert!(pattern.is_match(&form), "{form}");
        }
        assert!(!pattern.is_match("p@ss w\"rd\\é/2"));
    }

    #[test]
    fn matches_a_secret_json_escaped_twice_or_with_its_escapes_interpreted() {
        let secret = r#"pa"ss\Zk7/é"#;
        let escaped = pattern(secret);
        let once = serde_json::to_string(secret).unwrap();
        let twice = serde_json::to_string(&format!("{{\"token\":{once}}}")).unwrap();
        let thrice = serde_json::to_string(&twice).unwrap();
        let ascii = r#"pa\\\"ss\\\\Zk7\\/\\u00e9"#;
        for form in [&twice, &thrice, &ascii.to_owned(), &twice.replace('"', "&quot;")] {
            assert!(escaped.is_match(form), "{form}");
        }
        let typed = pattern(r"Hunter\r2Sec\tret\\x");
        assert!(typed.is_match(r"Hunter\r2Sec\tret\\x"), "as typed");
        assert!(typed.is_match("Hunter\r2Sec\tret\\x"), "as echo prints it: CR, tab, one backslash");
        assert!(!typed.is_match("Hunter 2Sec ret x"));
    }

    #[test]
    fn matches_a_secret_shell_quoted_or_written_as_a_host_name() {
        let quoted = pattern("ab'cd-Quote");
        assert!(quoted.is_match(&crate::template::shell_quote("ab'cd-Quote")));
        let host = pattern("Zq9Canary77");
        assert!(host.is_match("cannot resolve `zq9canary77.invalid`"));
        let international = pattern("gëheim77");
        assert!(international.is_match("cannot resolve `xn--gheim77-rya.invalid`"));
        assert!(!pattern("ab/cd").is_match("ab"), "a secret that is no host name adds no host form");
    }

    #[test]
    fn matches_a_secret_as_a_url_parser_rewrites_it_or_re_serialized_from_json() {
        assert!(pattern("Bk1\\Sl2\tTb3").is_match("http://127.0.0.1/x/Bk1/Sl2Tb3"));
        let document = r#"{ "key": "Cmp7secret-leaf", "n": 3 }"#;
        let pattern = pattern(document);
        for shown in
            [r#"{"key":"Cmp7secret-leaf","n":3}"#, "private: Cmp7secret-leaf", "{\n  \"key\": \"Cmp7secret-leaf\""]
        {
            assert!(pattern.is_match(shown), "{shown}");
        }
        assert!(!pattern.is_match(r#"{"n":3,"key":"other"}"#), "short strings of the document stay");
    }

    #[test]
    fn finds_a_secret_inside_base64_wrapped_in_lines() {
        let secret = format!("WrapSecret-{}", "abcdefghij".repeat(8));
        let encoded = STANDARD.encode(format!("admin:{secret}"));
        let wrapped: Vec<&str> = encoded.as_bytes().chunks(64).map(|line| std::str::from_utf8(line).unwrap()).collect();
        let pattern = pattern(&secret);
        for joiner in ["\n", "\r\n"] {
            let text = wrapped.join(joiner);
            let redacted = pattern.replace_all(&text, "[x]");
            assert!(!redacted.contains(&wrapped[0][8..]) && !redacted.contains(wrapped[1]), "{redacted}");
        }
    }

    #[test]
    fn finds_a_secret_inside_base64_whatever_comes_before_it() {
        let secret = "s3cr3t-passw0rd";
        let pattern = pattern(secret);
        for prefix in ["", "u:", "admin:", "operator:"] {
            let basic = STANDARD.encode(format!("{prefix}{secret}"));
            assert!(pattern.is_match(&basic), "{prefix}: {basic}");
            let url_safe = URL_SAFE.encode(format!("{prefix}{secret}?more"));
            assert!(pattern.is_match(&url_safe), "{prefix}: {url_safe}");
        }
        assert!(!pattern.is_match(&STANDARD.encode("admin:another-password")));
    }
}
