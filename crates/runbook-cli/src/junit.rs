//! JUnit XML for CI: one `<testsuite>` per test file, one `<testcase>` per
//! case, every failed expectation in the failure's body.

use std::fmt::Write as _;
use std::time::Duration;

/// A test file's results.
pub(crate) struct Suite {
    /// The test file, as shown.
    pub name: String,
    /// The runbook's id (the `classname` of its cases).
    pub runbook: String,
    /// Its cases, in order.
    pub cases: Vec<CaseResult>,
    /// Why the file could not run (its diagnostics), if it could not.
    pub error: Option<String>,
}

/// One case's result.
pub(crate) struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Wall time of the case.
    pub time: Duration,
    /// Each failed expectation, one per line; empty when it passed.
    pub failures: Vec<String>,
}

/// The JUnit document for `suites`.
pub(crate) fn render(suites: &[Suite]) -> String {
    let count = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let tests = count(|suite| suite.cases.len() + usize::from(suite.error.is_some()));
    let failures = count(|suite| suite.cases.iter().filter(|case| !case.failures.is_empty()).count());
    let errors = count(|suite| usize::from(suite.error.is_some()));
    let time: Duration = suites.iter().flat_map(|suite| &suite.cases).map(|case| case.time).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"runbook test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">",
        time.as_secs_f64()
    );
    for suite in suites {
        let failures = suite.cases.iter().filter(|case| !case.failures.is_empty()).count();
        let time: Duration = suite.cases.iter().map(|case| case.time).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" time=\"{:.3}\">",
            escape(&suite.name),
            suite.cases.len() + usize::from(suite.error.is_some()),
            usize::from(suite.error.is_some()),
            time.as_secs_f64()
        );
        if let Some(error) = &suite.error {
            let _ = writeln!(
                out,
                "    <testcase name=\"{0}\" classname=\"{1}\" file=\"{0}\" time=\"0.000\">\n      <error message=\"the test file cannot run\" type=\"invalid\">{2}</error>\n    </testcase>",
                escape(&suite.name),
                escape(&suite.runbook),
                escape(error)
            );
        }
        for case in &suite.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
                escape(&case.name),
                escape(&suite.runbook),
                escape(&suite.name),
                case.time.as_secs_f64()
            );
            if case.failures.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            let message = match case.failures.as_slice() {
                [one] => one.clone(),
                many => format!("{} expectations failed", many.len()),
            };
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>",
                escape(&message),
                escape(&case.failures.join("\n"))
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text safe in XML content and attributes. Characters XML 1.0 cannot hold
/// at all (most control characters) are written as `\u{…}` escapes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("a<b & \"c\" 'd'>\u{1b}[31m"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\\u{1b}[31m");
    }
}
