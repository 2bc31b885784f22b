//! Exit codes: one per class of failure, documented in docs/cli.md.

/// How `runbook` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything went well.
    Success,
    /// A file could not be read or written.
    Io,
    /// The command line is wrong (clap uses the same code).
    Usage,
    /// A runbook has errors (or warnings, with `--deny-warnings`).
    InvalidRunbook,
}

impl ExitCode {
    /// The process exit status. 2 is clap's, for usage errors.
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Io => 1,
            Self::Usage => 2,
            Self::InvalidRunbook => 3,
        }
    }
}
