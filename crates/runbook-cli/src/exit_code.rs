//! Exit codes: one per class of failure, documented in docs/cli.md.

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
