//! Numbers printed with a size or percent unit (`512M`, `941.29K`, `1.5Gi`,
//! `10GB`, `90%`), as `redis-cli INFO`, `df -h`, `du -sh`, `free -h` and
//! `kubectl top` print them: text orders them the wrong way round
//! ("941.29K" after "512M", "100%" before "90%"), so `check` and the run
//! refuse to order them as text alike.

use std::sync::LazyLock;

use regex::Regex;

/// Whether `text` is a number with a size or percent unit.
pub fn reads_as_number_with_unit(text: &str) -> bool {
    static UNIT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d+(?:\.\d+)?\s*(?:%|[kKMGTP]i?[bB]?|[bB])$").expect("valid regex"));
    UNIT.is_match(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_percentages_read_as_numbers_with_a_unit() {
        for text in ["512M", "941.29K", "1.5Gi", "10GB", "200Mi", "90%", "100 %", "4096B"] {
            assert!(reads_as_number_with_unit(text), "{text}");
        }
        for text in ["5m", "1.10.0", "90", "M", "master", "10ms", "2h"] {
            assert!(!reads_as_number_with_unit(text), "{text}");
        }
    }
}
