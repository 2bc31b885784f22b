//! Exit codes: one per class of failure, documented in docs/cli.md.

use std::fmt::Write as _;

/// How `runbook` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCode {
    /// Everything went well.
    Success,
    /// A file could not be read or written.
    Io,
    /// The command line is wrong (clap uses the same code).
    Usage,
    /// A runbook has errors (or warnings, with `--deny-warnings`).
    InvalidRunbook,
    /// A run failed: a template error, a loop over `max_visits`, the
    /// runbook's timeout.
    RunFailed,
    /// A run stopped at a question nobody could answer.
    NeedsAnswer,
    /// `runbook test`: a case failed, or coverage is below
    /// `--min-coverage`.
    TestsFailed,
    /// A run concluded with a conclusion `--fail-on` names.
    ConclusionFailed,
    /// A run ended without reaching a conclusion.
    NoConclusion,
    /// The operator interrupted the run (Ctrl-C, SIGTERM, SIGHUP).
    Interrupted,
}

impl ExitCode {
    /// Every code, in the order of its status.
    pub(crate) const ALL: [Self; 10] = [
        Self::Success,
        Self::Io,
        Self::Usage,
        Self::InvalidRunbook,
        Self::RunFailed,
        Self::NeedsAnswer,
        Self::TestsFailed,
        Self::ConclusionFailed,
        Self::NoConclusion,
        Self::Interrupted,
    ];

    /// What the status tells a script, as `--help`, the man page and
    /// docs/cli.md's table say it.
    pub(crate) const fn meaning(self) -> &'static str {
        match self {
            Self::Success => "success (for `check`: no errors; warnings are allowed unless `--deny-warnings`)",
            Self::Io => "a file could not be read or written",
            Self::Usage => "usage error: unknown flag, missing argument, unknown diagnostic code",
            Self::InvalidRunbook => {
                "a runbook is invalid: `check` found errors (or warnings with `--deny-warnings`); `run` refuses a \
                 runbook with errors"
            }
            Self::RunFailed => {
                "a run failed: a template error, a loop over `max_visits`, the runbook's `timeout`, a `call` that \
                 cannot load"
            }
            Self::NeedsAnswer => {
                "a run stopped at a question (or an action) nobody could answer: no terminal and no scripted answer"
            }
            Self::TestsFailed => {
                "`runbook test`: a case failed, or a runbook's edge coverage is below `--min-coverage`"
            }
            Self::ConclusionFailed => "a run concluded with a conclusion `--fail-on` names (a status, or a severity)",
            Self::NoConclusion => {
                "a run ended without reaching a conclusion: it ran past the last step, which `check` warns about \
                 (RB205)"
            }
            Self::Interrupted => "the run was interrupted: Ctrl-C, SIGTERM or SIGHUP",
        }
    }

    /// The process exit status. 2 is clap's, for usage errors.
    pub(crate) const fn as_u8(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Io => 1,
            Self::Usage => 2,
            Self::InvalidRunbook => 3,
            Self::RunFailed => 4,
            Self::NeedsAnswer => 5,
            Self::TestsFailed => 6,
            Self::ConclusionFailed => 7,
            Self::NoConclusion => 8,
            Self::Interrupted => 130,
        }
    }
}

/// The exit codes as `runbook --help` lists them, one line each.
pub(crate) fn listed() -> String {
    let mut text = String::from("Exit status (the same for every command):\n");
    for code in ExitCode::ALL {
        let mut line = format!("  {:>3} ", code.as_u8());
        for word in code.meaning().split(' ') {
            // Wrapped here, under the meaning, within 80 columns: a line
            // the help's own wrapping cut would start at the left edge and
            // read as another code.
            if line.chars().count() + 1 + word.chars().count() > LISTED_WIDTH {
                let _ = writeln!(text, "{line}");
                line = " ".repeat(6);
            }
            line.push(' ');
            line.push_str(word);
        }
        let _ = writeln!(text, "{line}");
    }
    text
}

/// Widest line of [`listed`].
const LISTED_WIDTH: usize = 80;

#[cfg(test)]
mod tests {
    use super::ExitCode;

    /// docs/cli.md's table of exit codes is this module's, row for row.
    #[test]
    fn the_documented_exit_codes_are_these() {
        let docs = include_str!("../../../docs/cli.md");
        let table = docs.split("## Exit codes").nth(1).expect("an exit code section");
        let rows: Vec<String> = table
            .lines()
            .skip_while(|line| !line.starts_with("| 0 "))
            .take_while(|line| line.starts_with('|'))
            .map(str::to_owned)
            .collect();
        let ours: Vec<String> =
            ExitCode::ALL.iter().map(|code| format!("| {} | {} |", code.as_u8(), code.meaning())).collect();
        assert_eq!(rows, ours);
    }
}
