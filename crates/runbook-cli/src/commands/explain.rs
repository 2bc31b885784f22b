//! `runbook explain`: the documentation of a diagnostic code.

use std::fmt::Write as _;

use runbook_model::Code;

use crate::exit_code::ExitCode;

/// docs/diagnostics.md, one `## RBnnn name` section per code; compiled in
/// so the binary and the docs cannot disagree.
const DOCS: &str = include_str!("../../../../docs/diagnostics.md");

pub(super) fn run(code: Option<&str>) -> ExitCode {
    let Some(text) = code else {
        let mut list = String::new();
        for code in Code::ALL {
            let _ = writeln!(list, "{} {:<24} {:<7} {}", code.code(), code.name(), code.level().name(), code.summary());
        }
        return super::print_stdout(&list);
    };
    let Some(code) = Code::find(text) else {
        let names = Code::ALL.iter().map(|code| code.name());
        let hint = runbook_model::did_you_mean(text, names)
            .map_or_else(String::new, |name| format!(" (did you mean `{name}`?)"));
        super::print_stderr(&format!(
            "error: unknown diagnostic code `{text}`{hint}\n  help: run `runbook explain` to list every code\n"
        ));
        return ExitCode::Usage;
    };
    super::print_stdout(
        &section(code).unwrap_or_else(|| format!("{} {}: {}\n", code.code(), code.name(), code.summary())),
    )
}

/// The section of docs/diagnostics.md for `code`.
pub(super) fn section(code: Code) -> Option<String> {
    let heading = format!("## {} {}", code.code(), code.name());
    let start = DOCS.find(&heading)?;
    let rest = &DOCS[start..];
    let end = rest[heading.len()..].find("\n## ").map_or(rest.len(), |i| i + heading.len() + 1);
    Some(rest[..end].trim_end().to_owned() + "\n")
}
