//! Values printed into a URL are encoded for where they land, as values
//! in `sh:` are shell-quoted: a user id pasted as
//! `../../admin/reset?confirm=1#` into `/users/{{ inputs.user }}/status`
//! must not request `/admin/reset?confirm=1`, and a password holding
//! `@evil.example#` in `https://ops:{{ inputs.password }}@host/` must not
//! send the request (and the credentials) to `evil.example`. A value never
//! changes which host or which path is requested; `| safe` opts out.
//!
//! The template is rendered with each value between two marks
//! ([`mark`], [`encoded`] for a value `| urlencode` encoded already);
//! [`encode`] then reads where each one landed:
//!
//! - before the authority is written (a base URL, `{{ inputs.base_url }}`)
//!   a value is written as it is, and so is a value continuing an authority
//!   a value wrote (a port, a path written whole after the host:
//!   `{{ inputs.base_url }}{{ route }}`), unless it holds an `@`, which
//!   would make that host user info and its own text the host;
//! - in the user info (before a written `@`) it is percent-encoded, so
//!   that `@`, `/`, `?` and `#` stay in the user name or password;
//! - in the host or the port written after `://` a value holding what ends
//!   or splits the authority (`@`, `/`, `\`, `?`, `#`, a space or a control
//!   character) is refused, but for one that begins with `/`, `?` or `#`:
//!   a path written whole after the host (`https://h:9{{ route }}`);
//! - in the path it is percent-encoded as one segment (`/`, `?`, `#`, `%`,
//!   spaces and non-ASCII), and a segment a value helped make that is
//!   `.` or `..` (in any form a URL parser resolves: `%2e`), or that is
//!   empty, is refused, since a URL parser or the server would drop or
//!   resolve it; a `| urlencode` value has its `/` encoded too;
//! - in the query `&`, `=`, `+` and `#` are encoded too; in the fragment
//!   what a fragment cannot hold; a `| urlencode` value is written as it
//!   encoded it there (a map's `a=1&b=2` stays pairs).
//!
//! Braces are written as they are (`{{ '{' }}` writes a literal one).

use std::fmt::Write as _;
use std::ops::Range;

/// Opens a value in a rendered URL: a private-use character no value
/// keeps ([`mark`] drops it from the value).
const OPEN: char = '\u{F8F0}';
/// Closes a value.
const CLOSE: char = '\u{F8F1}';
/// Follows [`OPEN`] for a value percent-encoded already (`| urlencode`).
const ENCODED: char = '\u{F8F2}';

/// The name a URL's render context holds, which templates cannot write
/// (it is not an identifier): the formatter marks values where it is set.
pub(crate) const MARKING: &str = "runbook.url";

/// `text`, a value printed into a URL, between the marks [`encode`] reads.
pub(crate) fn mark(text: &str) -> String {
    let mut marked = String::with_capacity(text.len() + 6);
    marked.push(OPEN);
    marked.extend(text.chars().filter(|&c| c != OPEN && c != CLOSE && c != ENCODED));
    marked.push(CLOSE);
    marked
}

/// `text`, percent-encoded already by `| urlencode`, between the marks
/// [`encode`] reads: not encoded twice, but still kept from changing the
/// host or the path (`urlencode` leaves `/` and `.`).
fn mark_encoded(text: &str) -> String {
    let mut marked = mark(text);
    marked.insert(OPEN.len_utf8(), ENCODED);
    marked
}

/// A value `| urlencode` encoded, rendered into a URL: the formatter
/// writes it with [`written`].
#[derive(Debug)]
pub(crate) struct Encoded(pub(crate) String);

impl minijinja::value::Object for Encoded {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the formatter writes of `value` in a URL when it is an
/// [`Encoded`] one; a filter applied after `urlencode` makes it a plain
/// value again, encoded where it lands like any other.
pub(crate) fn written(value: &minijinja::Value) -> Option<String> {
    value.downcast_object_ref::<Encoded>().map(|encoded| mark_encoded(&encoded.0))
}

/// Where in a URL a value lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before `://`: a base URL, the scheme.
    Base,
    /// In an authority whose `://` a value wrote: a base URL's port, or a
    /// path written whole after it.
    AfterBase,
    /// Before an `@` written after `://`: the password, or the whole user
    /// info (`{{ credentials }}@`, which may hold `user:password`).
    UserInfo,
    /// Before a `:` and an `@` written after `://`: the user name, where a
    /// `:` would move the rest of it into the password.
    UserName,
    /// The host or the port, written after `://`.
    Host,
    /// The path.
    Path,
    /// After `?`.
    Query,
    /// After `#`.
    Fragment,
}

impl Place {
    /// Where a value lands after `url`, with `rest` written after it and
    /// `values` where earlier values landed.
    fn of(url: &str, values: &[(Range<usize>, Self)], rest: &str) -> Self {
        let Some(scheme_end) = url.find("://") else { return Self::Base };
        let after = &url[scheme_end + 3..];
        if after.contains('#') {
            Self::Fragment
        } else if after.contains('?') {
            Self::Query
        } else if after.contains('/') {
            Self::Path
        } else if values.iter().any(|(range, _)| range.contains(&scheme_end)) {
            Self::AfterBase
        } else if let Some(colon_follows) = user_info_follows(rest) {
            if colon_follows && !after.contains(':') { Self::UserName } else { Self::UserInfo }
        } else {
            Self::Host
        }
    }

    /// Whether `byte` of a value encoded here is written as it is; every
    /// other byte is percent-encoded. (A value before the path is written
    /// whole or refused: [`write_value`].)
    fn keeps(self, byte: u8) -> bool {
        // RFC 3986: unreserved characters, and the sub-delimiters each
        // part reads as data.
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        let data = b"!$'()*,;:@";
        match self {
            Self::Base | Self::AfterBase | Self::Host => true,
            Self::UserInfo => unreserved || b"!$&'()*+,;=:".contains(&byte),
            Self::UserName => unreserved || b"!$&'()*+,;=".contains(&byte),
            Self::Path => unreserved || data.contains(&byte) || byte == b'+',
            Self::Query => unreserved || data.contains(&byte) || byte == b'/',
            Self::Fragment => unreserved || data.contains(&byte) || b"&+=/?".contains(&byte),
        }
    }
}

/// Whether the literal text in `rest` (what follows a value, other values
/// skipped) writes an `@` before the authority ends: the value is then in
/// the user info; with whether it writes a `:` before that `@`.
fn user_info_follows(rest: &str) -> Option<bool> {
    let mut in_value = false;
    let mut colon = false;
    for c in rest.chars() {
        match c {
            OPEN => in_value = true,
            CLOSE => in_value = false,
            _ if in_value => {}
            '@' => return Some(colon),
            ':' => colon = true,
            '/' | '\\' | '?' | '#' => return None,
            _ => {}
        }
    }
    None
}

/// The URL `rendered` with its marked values encoded for where each
/// landed, or why one would change the host or the path requested.
pub(crate) fn encode(rendered: &str) -> Result<String, String> {
    let mut url = String::with_capacity(rendered.len());
    let mut values: Vec<(Range<usize>, Place)> = Vec::new();
    let mut rest = rendered;
    while let Some(open) = rest.find(OPEN) {
        url.push_str(&rest[..open]);
        let after_open = &rest[open + OPEN.len_utf8()..];
        let (encoded, after_open) =
            after_open.strip_prefix(ENCODED).map_or((false, after_open), |after_mark| (true, after_mark));
        let close = after_open.find(CLOSE).unwrap_or(after_open.len());
        let value = &after_open[..close];
        rest = after_open.get(close + CLOSE.len_utf8()..).unwrap_or_default();
        let place = Place::of(&url, &values, rest);
        let start = url.len();
        write_value(&mut url, value, place, encoded)?;
        values.push((start..url.len(), place));
    }
    url.push_str(rest);
    refuse_moved_segments(&url, &values)?;
    Ok(url)
}

/// Writes `value` at `place` of `url`, encoded as it lands there.
fn write_value(url: &mut String, value: &str, place: Place, encoded: bool) -> Result<(), String> {
    // A path written whole right after the host (`https://h:9{{ route }}`)
    // ends the host where the runbook wrote it.
    let place = if place == Place::Host && value.starts_with(['/', '?', '#']) { Place::AfterBase } else { place };
    match place {
        Place::AfterBase => {
            let authority = value.split(['/', '\\', '?', '#']).next().unwrap_or_default();
            if authority.contains('@') {
                return Err("a value printed after the URL's host holds `@`, which would make the host user info \
                            and request another host than the one written"
                    .to_owned());
            }
        }
        Place::Host => {
            if let Some(c) = value
                .chars()
                .find(|&c| matches!(c, '@' | '/' | '\\' | '?' | '#') || c.is_whitespace() || c.is_control())
            {
                return Err(format!(
                    "a value printed into the URL's host or port holds {}, which would end or split the host \
                     and request another host than the one written",
                    match c {
                        '@' | '/' | '\\' | '?' | '#' => format!("`{c}`"),
                        _ => format!("the character U+{:04X}", u32::from(c)),
                    }
                ));
            }
        }
        _ => {}
    }
    // `{{ '{' }}` is how a runbook writes a literal brace.
    let braces = !value.is_empty() && value.chars().all(|c| matches!(c, '{' | '}'));
    let as_it_is = match place {
        Place::Base | Place::AfterBase | Place::Host => true,
        Place::Query | Place::Fragment => encoded || braces,
        Place::Path => braces,
        Place::UserInfo | Place::UserName => false,
    };
    if as_it_is {
        url.push_str(value);
        return Ok(());
    }
    for byte in value.bytes() {
        if place.keeps(byte) || encoded && byte == b'%' {
            url.push(char::from(byte));
        } else {
            let _ = write!(url, "%{byte:02X}");
        }
    }
    Ok(())
}

/// `value` as a request carries it in each part of a URL a value is
/// encoded for (the user info, the path, the query, the fragment), plain
/// and `| urlencode`d: as [`encode`] writes it there, and as the URL
/// parser then writes the request (it encodes more of the user info, and
/// `'` in the query). These are forms of a secret the engine itself
/// sends, which a resumed run knows an obtained value by (`redact`).
pub(crate) fn sent_forms(value: &str) -> Vec<String> {
    let urlencoded = minijinja::filters::urlencode(&minijinja::Value::from(value)).ok();
    let written = std::iter::once((value, false)).chain(urlencoded.as_deref().map(|text| (text, true)));
    let mut forms = Vec::new();
    for (text, encoded) in written {
        for place in [Place::UserName, Place::UserInfo, Place::Path, Place::Query, Place::Fragment] {
            let mut form = String::new();
            if write_value(&mut form, text, place, encoded).is_err() {
                continue;
            }
            if let Some(parsed) = as_parsed(&form, place) {
                forms.push(parsed);
            }
            forms.push(form);
        }
    }
    forms
}

/// `form`, written at `place`, as the URL parser writes it there.
fn as_parsed(form: &str, place: Place) -> Option<String> {
    let url = match place {
        Place::UserName => format!("http://{form}:p@h/"),
        Place::UserInfo => format!("http://u:{form}@h/"),
        Place::Path => format!("http://h/{form}"),
        Place::Query => format!("http://h/?{form}"),
        Place::Fragment => format!("http://h/#{form}"),
        Place::Base | Place::AfterBase | Place::Host => return None,
    };
    let url = reqwest::Url::parse(&url).ok()?;
    let parsed = match place {
        Place::UserName => Some(url.username()),
        Place::UserInfo => url.password(),
        Place::Path => url.path().strip_prefix('/'),
        Place::Query => url.query(),
        Place::Fragment => url.fragment(),
        Place::Base | Place::AfterBase | Place::Host => None,
    };
    parsed.map(str::to_owned)
}

/// Refuses a path segment of `url` a value in the path helped make that a
/// URL parser or the server drops or resolves: `.` or `..` (also as
/// `%2e`), or nothing.
fn refuse_moved_segments(url: &str, values: &[(Range<usize>, Place)]) -> Result<(), String> {
    let Some(scheme_end) = url.find("://") else { return Ok(()) };
    let authority = scheme_end + 3;
    let Some(path_start) = url[authority..].find(['/', '?', '#']).map(|at| authority + at) else { return Ok(()) };
    let path_end = url[path_start..].find(['?', '#']).map_or(url.len(), |at| path_start + at);
    let mut start = path_start;
    while start < path_end {
        let segment_start = start + 1;
        let segment_end = url[segment_start..path_end].find('/').map_or(path_end, |at| segment_start + at);
        let segment = &url[segment_start..segment_end];
        let touched = values
            .iter()
            .any(|(range, place)| *place == Place::Path && range.start >= segment_start && range.end <= segment_end);
        let dots = segment.to_ascii_lowercase().replace("%2e", ".");
        if touched && matches!(dots.as_str(), "" | "." | "..") {
            return Err(format!(
                "a value printed into the URL's path would make the segment `{segment}`, which a URL parser or \
                 the server drops or resolves, requesting another path than the one written"
            ));
        }
        start = segment_end;
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    fn url(parts: &[&str]) -> Result<String, String> {
        let rendered: String = parts
            .iter()
            .enumerate()
            .map(|(n, part)| if n % 2 == 1 { mark(part) } else { (*part).to_owned() })
            .collect();
        encode(&rendered)
    }

    #[test]
    fn a_value_in_the_path_is_one_segment_and_never_changes_the_path() {
        assert_eq!(
            url(&["http://h:1/users/", "../../admin/reset?confirm=1#", "/status"]).unwrap(),
            "http://h:1/users/..%2F..%2Fadmin%2Freset%3Fconfirm%3D1%23/status"
        );
        assert_eq!(url(&["http://h/u/", "a b+c@d.e", "/s"]).unwrap(), "http://h/u/a%20b+c@d.e/s");
        assert_eq!(url(&["http://h/u/", "100%", ""]).unwrap(), "http://h/u/100%25");
        assert_eq!(url(&["http://h/u/", "é", ""]).unwrap(), "http://h/u/%C3%A9");
        for segment in ["..", ".", ""] {
            let refused = url(&["http://h/users/", segment, "/status"]).unwrap_err();
            assert!(refused.contains(&format!("the segment `{segment}`")), "{refused}");
            assert!(url(&["http://h/users/", segment, ""]).is_err());
        }
        assert_eq!(url(&["http://h/files/", "..", ".txt"]).unwrap(), "http://h/files/...txt");
    }

    /// attack7 H10: a password holding `@host#` moved the request, and
    /// its credentials, to that host.
    #[test]
    fn a_value_in_the_user_info_stays_there() {
        assert_eq!(
            url(&["http://", "ops", ":", "x@evil.example:1/p?q#", "@h:1/s"]).unwrap(),
            "http://ops:x%40evil.example:1%2Fp%3Fq%23@h:1/s"
        );
        assert_eq!(url(&["https://", "ops:pw", "@h/"]).unwrap(), "https://ops:pw@h/", "a user and password in one");
        assert_eq!(
            url(&["https://", "ops:x", ":", "pw", "@h/"]).unwrap(),
            "https://ops%3Ax:pw@h/",
            "a `:` in the user name stays in it"
        );
        assert_eq!(url(&["https://u:", "100% é", "@h/"]).unwrap(), "https://u:100%25%20%C3%A9@h/");
        let encoded = encode(&format!("https://u:{}@h/", mark_encoded("a/b%40c"))).unwrap();
        assert_eq!(encoded, "https://u:a%2Fb%40c@h/", "urlencode's `/` is encoded, its `%40` kept");
    }

    /// code review M1: a value in the host position, or after a base
    /// URL's host, that ends or splits the authority is refused.
    #[test]
    fn a_value_in_the_host_never_changes_the_host() {
        for (value, named) in [("evil.example#", "`#`"), ("evil.example/", "`/`"), ("u@evil", "`@`"), ("a b", "U+0020")]
        {
            let refused = url(&["http://", value, ".internal:8080/x"]).unwrap_err();
            assert!(refused.contains(named) && refused.contains("another host"), "{refused}");
            assert!(!refused.contains(value), "the value itself may be a secret: {refused}");
        }
        assert!(url(&["http://h:", "80@evil.example", "/x"]).unwrap_err().contains("`@`"));
        assert_eq!(
            url(&["http://h:9", "/a?b=1", ""]).unwrap(),
            "http://h:9/a?b=1",
            "a path written whole after the host"
        );
        assert!(url(&["http://h:9", "?x@evil.example/", ""]).is_ok(), "in the query, which ends the host");
        assert_eq!(url(&["http://", "[::1]", ":", "8080", "/x"]).unwrap(), "http://[::1]:8080/x");
        let after_base = url(&["", "http://h:8080", "", "@evil.example/x", ""]).unwrap_err();
        assert!(after_base.contains("after the URL's host holds `@`"), "{after_base}");
        assert_eq!(url(&["", "http://u:p@h:8080", "", "/x@y", ""]).unwrap(), "http://u:p@h:8080/x@y");
    }

    /// code review M1 and H3: values together, or a `| urlencode` value,
    /// make no `.` or `..` segment, and urlencode's `/` stays in its
    /// segment.
    #[test]
    fn no_value_makes_a_dot_segment_or_a_slash_however_it_came() {
        let together = url(&["http://h/f/", ".", "", ".", "/x"]).unwrap_err();
        assert!(together.contains("the segment `..`"), "{together}");
        assert!(url(&["http://h/f/", ".", "%2E/x"]).unwrap_err().contains("the segment `.%2E`"));
        assert!(url(&["http://h/f/", "", "", "", "/x"]).unwrap_err().contains("the segment ``"));
        assert_eq!(url(&["http://h/f/", "a", "", ".", "/x"]).unwrap(), "http://h/f/a./x");
        let encoded =
            |value: &str, around: (&str, &str)| encode(&format!("{}{}{}", around.0, mark_encoded(value), around.1));
        assert_eq!(encoded("../admin", ("http://h/f/", "/x")).unwrap(), "http://h/f/..%2Fadmin/x");
        for dots in ["..", ".", ""] {
            assert!(encoded(dots, ("http://h/f/", "/x")).unwrap_err().contains(&format!("the segment `{dots}`")));
        }
        assert_eq!(encoded("a=1&b=%2F", ("http://h/s?", "")).unwrap(), "http://h/s?a=1&b=%2F", "a map's pairs");
        assert_eq!(encoded("../x", ("http://h/s?q=", "")).unwrap(), "http://h/s?q=../x");
    }

    #[test]
    fn a_value_before_the_path_is_written_as_it_is_and_the_query_keeps_its_pairs() {
        assert_eq!(url(&["", "http://h:8080/base", "/healthz"]).unwrap(), "http://h:8080/base/healthz");
        assert_eq!(url(&["", "http://h:8080", "", "/api/v1/x?y=1", ""]).unwrap(), "http://h:8080/api/v1/x?y=1");
        assert_eq!(url(&["http://", "bücher.example", ":", "80", "/x"]).unwrap(), "http://bücher.example:80/x");
        assert_eq!(
            url(&["http://h/s?q=", "a&admin=1 +x#y", "&n=1"]).unwrap(),
            "http://h/s?q=a%26admin%3D1%20%2Bx%23y&n=1"
        );
        assert_eq!(url(&["http://h/s#", "a b#c?", ""]).unwrap(), "http://h/s#a%20b%23c?");
        assert_eq!(url(&["http://h/plain"]).unwrap(), "http://h/plain");
        assert_eq!(url(&["http://h/s?q=", "{", "{x}}&b={y}"]).unwrap(), "http://h/s?q={{x}}&b={y}");
    }
}
