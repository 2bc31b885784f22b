//! Version strings (`1.9.3`, `v1.10.0`): text orders them by character, so
//! `"1.9.3" < "1.10.0"` is false. `check` and the engine tell them apart
//! from other text, and the engine's `| version` filter reads them as
//! numbers that order as versions do.

/// The numbers of a dotted version (`v1.10.0+build.7` gives `[1, 10]`):
/// an optional `v`, numbers separated by dots, and build metadata after
/// `+` (ignored, as semantic versioning ignores it). Trailing zeros are
/// dropped, so `1.10` and `1.10.0` are equal and lists order as versions.
/// `None` for anything else, a pre-release (`1.0.0-rc1`) included: its
/// order is not the order of its numbers.
pub fn version_parts(text: &str) -> Option<Vec<u64>> {
    let text = text.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let core = text.split_once('+').map_or(text, |(core, _)| core);
    let mut parts = core.split('.').map(|part| part.parse::<u64>().ok()).collect::<Option<Vec<u64>>>()?;
    while parts.len() > 1 && parts.last() == Some(&0) {
        parts.pop();
    }
    Some(parts)
}

/// Whether `text` reads as a version of two dots or more (`1.9.3`,
/// `v2.0.1-rc1`, `10.4.2+deb12`), or as `v` and a dotted number (`v1.2`):
/// text that ordering as text would misplace. `1.10` reads as a number,
/// which is refused an order as text on its own.
pub fn reads_as_version(text: &str) -> bool {
    let text = text.trim();
    let (marked, text) = text.strip_prefix(['v', 'V']).map_or((false, text), |rest| (true, rest));
    let end = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (dotted, rest) = text.split_at(end);
    let numbers: Vec<&str> = dotted.split('.').collect();
    let well_formed = numbers.iter().all(|number| !number.is_empty());
    let suffix = rest.is_empty() || rest.starts_with(['-', '+', '~']);
    well_formed && suffix && (numbers.len() >= 3 || (marked && numbers.len() == 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_numbers_that_order_as_versions() {
        assert_eq!(version_parts("1.9.3"), Some(vec![1, 9, 3]));
        assert_eq!(version_parts(" v1.10.0+build.7 "), Some(vec![1, 10]));
        assert_eq!(version_parts("1.10"), version_parts("1.10.0"));
        assert_eq!(version_parts("0"), Some(vec![0]));
        assert!(version_parts("1.9.3") < version_parts("1.10.0"));
        assert!(version_parts("1.10.0.1") > version_parts("1.10"));
        for text in ["1.0.0-rc1", "", "1..2", "abc", "1.x"] {
            assert_eq!(version_parts(text), None, "{text}");
        }
    }

    #[test]
    fn text_reads_as_a_version_with_two_dots_or_a_v() {
        for text in ["1.9.3", "1.10.0", "v1.2", "V2.0.1-rc1", "10.4.2+deb12u1", "1.2.3.4"] {
            assert!(reads_as_version(text), "{text}");
        }
        for text in ["1.10", "90", "active", "1.2.", "v", "1.2.3x", "10.0.0.1/24", ""] {
            assert!(!reads_as_version(text), "{text}");
        }
    }
}
