//! Values printed into a URL's path, query or fragment are encoded for
//! where they land, as values in `sh:` are shell-quoted: a user id pasted
//! as `../../admin/reset?confirm=1#` into `/users/{{ inputs.user }}/status`
//! must not request `/admin/reset?confirm=1`. A value never changes which
//! path is requested.
//!
//! The template is rendered with each value between two marks
//! ([`mark`]); [`encode`] then reads where each one landed. Before the
//! path begins (a base URL, a host, a port, a path written whole after the
//! host: `{{ inputs.base_url }}{{ route }}`) a value is written as it is.
//! In the path it is percent-encoded as one segment (`/`, `?`, `#`, `%`,
//! spaces and non-ASCII), and a segment made only of a value that is
//! empty, `.` or `..` is refused, since a URL parser or the server would
//! drop or resolve it; in the query `&`, `=`, `+` and `#` are encoded too;
//! in the fragment what a fragment cannot hold. `| urlencode` and `| safe`
//! values are written as they are, and so are braces (`{{ '{' }}` writes
//! a literal one).

use std::fmt::Write as _;

/// Opens a value in a rendered URL: a private-use character no value
/// keeps ([`mark`] drops it from the value).
const OPEN: char = '\u{F8F0}';
/// Closes a value.
const CLOSE: char = '\u{F8F1}';

/// The name a URL's render context holds, which templates cannot write
/// (it is not an identifier): the formatter marks values where it is set.
pub(crate) const MARKING: &str = "runbook.url";

/// `text`, a value printed into a URL, between the marks [`encode`] reads.
pub(crate) fn mark(text: &str) -> String {
    let mut marked = String::with_capacity(text.len() + 6);
    marked.push(OPEN);
    marked.extend(text.chars().filter(|&c| c != OPEN && c != CLOSE));
    marked.push(CLOSE);
    marked
}

/// Where in a URL text lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Before the path: the scheme, the host, the port.
    Origin,
    /// The path.
    Path,
    /// After `?`.
    Query,
    /// After `#`.
    Fragment,
}

impl Part {
    /// Where text after `url` lands.
    fn after(url: &str) -> Self {
        let Some(scheme_end) = url.find("://") else { return Self::Origin };
        let rest = &url[scheme_end + 3..];
        if rest.contains('#') {
            Self::Fragment
        } else if rest.contains('?') {
            Self::Query
        } else if rest.contains('/') {
            Self::Path
        } else {
            Self::Origin
        }
    }

    /// Whether `byte` is written as it is here; every other byte is
    /// percent-encoded.
    fn keeps(self, byte: u8) -> bool {
        // RFC 3986: unreserved characters, and the sub-delimiters each
        // part reads as data.
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        let data = b"!$'()*,;:@";
        match self {
            Self::Origin => true,
            Self::Path => unreserved || data.contains(&byte) || byte == b'+',
            Self::Query => unreserved || data.contains(&byte) || byte == b'/',
            Self::Fragment => unreserved || data.contains(&byte) || b"&+=/?".contains(&byte),
        }
    }
}

/// The URL `rendered` with its marked values encoded for where each
/// landed, or why one would change the path requested.
pub(crate) fn encode(rendered: &str) -> Result<String, String> {
    let mut url = String::with_capacity(rendered.len());
    let mut rest = rendered;
    while let Some(open) = rest.find(OPEN) {
        url.push_str(&rest[..open]);
        let after_open = &rest[open + OPEN.len_utf8()..];
        let close = after_open.find(CLOSE).unwrap_or(after_open.len());
        let value = &after_open[..close];
        rest = after_open.get(close + CLOSE.len_utf8()..).unwrap_or_default();
        let part = Part::after(&url);
        if part == Part::Path && url.ends_with('/') {
            let next = rest.trim_start_matches([OPEN, CLOSE]);
            let whole_segment = next.is_empty() || next.starts_with(['/', '?', '#']);
            if whole_segment && matches!(value, "" | "." | "..") {
                return Err(format!(
                    "a value printed into the URL's path would make the segment `{value}`, which a URL parser or \
                     the server drops or resolves, requesting another path than the one written"
                ));
            }
        }
        // `{{ '{' }}` is how a runbook writes a literal brace.
        if part == Part::Origin || !value.is_empty() && value.chars().all(|c| matches!(c, '{' | '}')) {
            url.push_str(value);
            continue;
        }
        for byte in value.bytes() {
            if part.keeps(byte) {
                url.push(char::from(byte));
            } else {
                let _ = write!(url, "%{byte:02X}");
            }
        }
    }
    url.push_str(rest);
    Ok(url)
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
