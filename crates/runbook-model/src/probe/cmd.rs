//! The `cmd` probe: a command, and what `check` knows of it.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Fact, FactType, template};
use crate::analyse::TemplateKind;
use crate::{Code, Diagnostic, Duration, MockErrorKind, SentField, Span, Spanned, Subject};

/// A command. Observations: `exit_code`, `stdout`, `stderr` (and `json`
/// parsed from stdout), the signal, whether it timed out, `duration`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CmdProbe {
    /// Program and arguments, run without a shell. Each element is a
    /// template rendered to exactly one argument.
    #[serde(default)]
    pub argv: Option<Spanned<Vec<Spanned<String>>>>,
    /// A shell command, run with `sh -c`. Values interpolated into it are
    /// shell-quoted; `|safe` opts out.
    #[serde(default)]
    pub sh: Option<Spanned<String>>,
    /// Extra environment variables; values are templates.
    #[serde(default)]
    pub env: IndexMap<Spanned<String>, Spanned<String>>,
    /// Working directory.
    #[serde(default)]
    pub cwd: Option<Spanned<String>>,
    /// Text written to the command's standard input (default: none).
    #[serde(default)]
    pub stdin: Option<Spanned<String>>,
    /// Limit on the command (default 30s); on expiry the whole process
    /// group is terminated.
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
}

/// What its expectations may read.
pub(super) const SUBJECTS: &[Subject] =
    &[Subject::ExitCode, Subject::Stdout, Subject::Stderr, Subject::Duration, Subject::Json];

/// What its captures may read.
pub(super) const CAPTURES: &[&str] = &["json", "regex", "stdout", "stderr"];

/// The errors it reports for real (RB507); a step `timeout:` ends any probe.
pub(super) const ERRORS: &[MockErrorKind] = &[
    MockErrorKind::Timeout,
    MockErrorKind::SpawnFailed,
    MockErrorKind::Killed,
    MockErrorKind::Io,
    MockErrorKind::InvalidJson,
];

/// What `steps.ID` holds of its observation, besides `duration` and `error`.
pub(super) const FACTS: &[Fact] = &[
    Fact::new("exit_code", FactType::Number),
    Fact::new("signal", FactType::Number),
    Fact::new("timed_out", FactType::Bool),
    Fact::new("json", FactType::Structured),
    Fact::new("stdout", FactType::Text),
    Fact::new("stderr", FactType::Text),
    Fact::new("stdout_dropped_bytes", FactType::Number),
    Fact::new("stderr_dropped_bytes", FactType::Number),
];

impl CmdProbe {
    /// Its templated fields, in the order written: `sh` is a shell
    /// template, whose values are quoted.
    pub(super) fn template_fields<'a>(&'a self, out: &mut Vec<(&'a str, Span, TemplateKind)>) {
        out.extend(self.argv.iter().flat_map(|argv| argv.value.iter()).map(template));
        out.extend(self.sh.as_ref().map(|sh| (sh.value.as_str(), sh.span, TemplateKind::Shell)));
        out.extend(self.env.values().map(template));
        out.extend([&self.cwd, &self.stdin].into_iter().flatten().map(template));
    }

    /// What it sends that may carry a credential: each argument under the
    /// one before it (`--password`, unless that one is a template), the
    /// shell text, each environment variable under its name, the input
    /// (under the first argument or shell text naming a credential).
    pub(super) fn sent_fields<'a>(&'a self, out: &mut Vec<SentField<'a>>) {
        let argv = self.argv.iter().flat_map(|argv| argv.value.iter());
        let mut before: Option<&str> = None;
        for argument in argv {
            out.push(SentField { under: before, text: argument });
            before = Some(argument.as_str()).filter(|argument| !argument.contains("{{"));
        }
        out.extend(self.sh.as_ref().map(|sh| SentField { under: None, text: sh }));
        out.extend(self.env.iter().map(|(name, value)| SentField { under: Some(name), text: value }));
        // Its input is a password when the command says so
        // (`docker login --password-stdin`).
        let command = self.argv.iter().flat_map(|argv| argv.value.iter()).chain(&self.sh);
        let credential = command.map(|part| part.value.as_str()).find(|part| crate::names_credential(part));
        out.extend(self.stdin.as_ref().map(|stdin| SentField { under: credential, text: stdin }));
    }

    /// Its own rules: exactly one of `argv` and `sh`, a program to run, a
    /// limit above zero.
    pub(super) fn shape(&self, span: Span, out: &mut Vec<Diagnostic>) {
        crate::analyse::zero_limit(self.timeout.as_ref(), "timeout", out);
        match (&self.argv, &self.sh) {
            (None, None) => out.push(
                Diagnostic::new(Code::ProbeShape, span, "the command has neither `argv` nor `sh`")
                    .with_help("use `argv: [program, arg]` to run without a shell, or `sh: \"…\"`"),
            ),
            (Some(_), Some(sh)) => out.push(
                Diagnostic::new(Code::ProbeShape, sh.span, "`sh` beside `argv`")
                    .with_help("give `argv` (no shell) or `sh` (runs `sh -c`), not both"),
            ),
            (Some(argv), None) if argv.is_empty() => {
                out.push(
                    Diagnostic::new(Code::InvalidValue, argv.span, "`argv` is empty")
                        .with_help("the first element is the program to run"),
                );
            }
            // `argv: ["redis-cli -p 6379 ping"]` looks for a program of that name.
            (Some(argv), None) if argv[0].contains(' ') && !argv[0].contains("{{") => {
                let program = &argv[0];
                out.push(
                    Diagnostic::new(Code::InvalidValue, program.span, format!("`{}` is a whole command line, not a program", program.value))
                        .with_label("no program has this name")
                        .with_help("give each word its own element (`argv: [redis-cli, -p, \"6379\", ping]`), or write the line as `sh: \"…\"`"),
                );
            }
            _ => {}
        }
    }
}
