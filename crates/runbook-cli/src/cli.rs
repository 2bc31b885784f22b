//! Command-line arguments. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use runbook_model::Code;

/// Executable runbooks: triage trees that probe, ask, and write an incident
/// record.
///
/// A runbook is a YAML file of steps (checks, questions, actions,
/// conclusions). `runbook run` walks it: runs the probes, shows the
/// evidence, asks at each decision, and writes an incident record;
/// `runbook check` finds mistakes in it before an incident does. See
/// docs/dsl.md for the language and docs/cli.md for every command.
#[derive(Debug, Parser)]
#[command(name = "runbook", version, max_term_width = 100, after_long_help = crate::exit_code::listed())]
pub(crate) struct Cli {
    /// When to use colours: `auto` uses them on a terminal unless `NO_COLOR`
    /// is set.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = Color::Auto,
        global = true,
        help_heading = "Global options",
        display_order = 100
    )]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

/// The option groups of `run` and `resume`, as hurl groups its own.
const INPUTS: &str = "Inputs and answers";
const MODES: &str = "Modes";
const OUTPUT: &str = "Output and record";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a runbook: probe, show the evidence, ask, conclude.
    ///
    /// Walks the triage tree from its first step: runs each check's probes
    /// and shows what they saw, asks the operator at each question, runs
    /// actions only after confirmation, and ends with the conclusion.
    ///
    /// Without a terminal (or with `--non-interactive`), answers come from
    /// `--answer`/`--answers`; a question without one stops the run (exit
    /// 5) naming the step and the flag to pass. `--dry-run` runs nothing
    /// and shows every command and URL.
    ///
    /// Exits 0 when the run reaches a conclusion, 7 when `--fail-on` names
    /// that conclusion, 8 when it ends without one (past the last step), 4
    /// when it fails (a template error, a loop over max_visits, the
    /// runbook's timeout), 5 when it waits for an answer, 130 when
    /// interrupted, 3 when the runbook is invalid, 2 for bad flags or
    /// inputs, 1 when the record cannot be written.
    #[command(after_long_help = "Examples:\n  \
        runbook run examples/quickstart.yaml\n  \
        runbook run disk-full.yaml -i host=db01 --answer restart=yes\n  \
        runbook run disk-full.yaml --dry-run --assume disk=fail\n  \
        runbook run disk-full.yaml --non-interactive --format json --no-record\n")]
    Run(Box<RunArgs>),
    /// Continue an interrupted or waiting run from its record directory.
    ///
    /// Reads the journal and continues from the step where the run stopped,
    /// with its inputs, vars, answers and visit counts as they were; the
    /// journal and the record go on in the same directory. A probe step
    /// that was running is run again; an action that was running is not,
    /// unless answered yes explicitly. Secret inputs are not in the journal:
    /// give them again (their `env` variable, or `--input`). Refuses when
    /// the runbook file changed since the run started, unless
    /// `--allow-changed`.
    ///
    /// Exits as `run` does (0, 7, 8, 4, 5, 130 and 3), 2 when the run
    /// cannot be resumed (it ended, the runbook changed without
    /// `--allow-changed`, the step it stopped at is gone) or for bad flags,
    /// 1 when the journal cannot be read or the record written.
    #[command(after_long_help = "Examples:\n  \
        runbook resume incidents/20261130T083226Z-disk-full\n  \
        runbook resume incidents/20261130T083226Z-disk-full --answer restart=no\n")]
    Resume(Box<ResumeArgs>),
    /// Rebuild `record.json` and `record.md` from a record directory's
    /// journal.
    ///
    /// For a run that was killed (SIGKILL, a power cut) before it could
    /// write its record: the journal is enough. It is synced to disk before
    /// every action, after each answer, note and confirmation, and at the
    /// end, and at most every 100 ms in between. Such a run is marked
    /// `interrupted`. A journal that holds no run, or that a run still going
    /// holds, is refused (exit 1) and the old record is left as it was.
    ///
    /// Exits 0 when the record is written, 1 when the journal cannot be
    /// read, holds no run or a run still going, or the record cannot be
    /// written.
    #[command(after_long_help = "Examples:\n  runbook record incidents/20261130T083226Z-disk-full\n")]
    Record {
        /// The record directory (holding `journal.jsonl`).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Check runbooks for mistakes without running anything.
    ///
    /// Loads each file, reports YAML and shape errors at their line and
    /// column, then runs the static rules: unknown step ids, unreachable
    /// steps, paths without a conclusion, undefined names in templates,
    /// invalid `JSONPaths` and regexes, unconfirmed actions, secrets written
    /// into the file. Directories are searched for `*.yaml` and `*.yml`
    /// runbooks; test files (`*.test.yaml`) are checked against the runbook
    /// they test (unknown steps, answers that are not choices, observations
    /// of the wrong kind).
    ///
    /// Exits 0 when no errors are found (warnings allowed unless
    /// `--deny-warnings`), 3 when a runbook has errors, 1 when a file cannot
    /// be read.
    #[command(after_long_help = "Examples:\n  \
        runbook check disk-full.yaml\n  \
        runbook check --deny-warnings runbooks/\n  \
        runbook check --format json runbooks/ > findings.json\n")]
    Check(CheckArgs),
    /// Run runbook test cases: mocked observations, the real engine, branch
    /// coverage.
    ///
    /// Each case of a test file (`NAME.test.yaml` beside `NAME.yaml`, see
    /// docs/testing.md) runs the runbook with its mocked observations and
    /// scripted answers on a virtual clock: nothing is spawned, no socket is
    /// opened. Prints one line per case, for a failure the path as a diff and
    /// each failed expectation, then the coverage of each runbook's edges
    /// and `N passed, N failed`. PATHS are test files, runbooks or
    /// directories (default: the current one); a runbook without a test
    /// file is named and counts as 0 % covered, and so does one with
    /// errors (any YAML found is taken for a runbook, as `check` takes it).
    ///
    /// Exits 0 when every case passed, 6 when a case failed or coverage is
    /// below `--min-coverage`, 3 when a test file or a runbook has errors,
    /// 2 on bad flags, 1 when a path does not exist or holds nothing to
    /// test, or a file cannot be read or written.
    // Two usage lines: clap's own writes a path given with
    // `--from-record` as `<PATH>...`, as if one were required.
    #[command(
        override_usage = "runbook test [OPTIONS] [PATH]...\n       runbook test --from-record <DIR>",
        after_long_help = "Examples:\n  \
        runbook test\n  \
        runbook test runbooks/ --min-coverage 100 --junit junit.xml\n  \
        runbook test --from-record incidents/20261130T083226Z-disk-full\n"
    )]
    Test(TestArgs),
    /// Explain a diagnostic code: what it finds, why it matters, how to fix it.
    ///
    /// Takes a code (`RB201`) or a rule name (`unknown-step`); without one,
    /// lists every code. Exits 0, or 2 for a code or name it does not
    /// know.
    #[command(after_long_help = "Examples:\n  \
        runbook explain RB204\n  \
        runbook explain unknown-step\n  \
        runbook explain\n")]
    Explain {
        /// The code or rule name.
        #[arg(value_parser = CodeOrName, hide_possible_values = true)]
        code: Option<String>,
    },
    /// Draw a runbook's triage tree: Mermaid, Graphviz DOT or SVG.
    ///
    /// Steps are shaped by kind (questions as diamonds, actions as
    /// hexagons, calls as subroutines, conclusions as rounded boxes
    /// coloured by severity) and edges labelled by the outcome, answer or
    /// condition that takes them. Node ids are stable: `s_` and the step id
    /// with `-` as `_`. Mermaid (the default) renders on GitHub and GitLab;
    /// its renderers refuse diagrams over 50,000 characters or 500 edges,
    /// so a warning says when a graph comes near. `--format svg` runs
    /// Graphviz's `dot`, which must be on `PATH`.
    ///
    /// Exits 0 when the graph is written, 3 when the runbook has errors
    /// (after drawing it, errors shown) or does not load, 2 for a test
    /// file, 1 when a file cannot be read or written or `dot` is missing.
    #[command(after_long_help = "Examples:\n  \
        runbook graph disk-full.yaml\n  \
        runbook graph --format svg -o disk-full.svg disk-full.yaml\n  \
        runbook graph --record incidents/20261130T083226Z-disk-full disk-full.yaml\n")]
    Graph(GraphArgs),
    /// Render runbooks as Markdown documents a person can follow without
    /// the tool.
    ///
    /// Title, summary, inputs, the graph, each step with its commands and
    /// URLs as written and what each outcome means, the conclusions and
    /// their follow-ups. One file goes to stdout; with `--output DIR`,
    /// each runbook becomes `DIR/<runbook id>.md`, with an `index.md`.
    ///
    /// Exits 0 when every runbook is rendered, 3 when one has errors, 1
    /// when a file cannot be read or written.
    #[command(after_long_help = "Examples:\n  \
        runbook render disk-full.yaml > disk-full.md\n  \
        runbook render -o disk-full.md disk-full.yaml\n  \
        runbook render runbooks --output docs/runbooks\n")]
    Render(RenderArgs),
    /// Write a new runbook and its test cases: a commented skeleton that
    /// passes `check`, and cases that pass `test` covering every edge.
    ///
    /// `runbook new disk-full` writes `disk-full.yaml` with an input, a
    /// check, a question and conclusions to edit, and `disk-full.test.yaml`
    /// with one case per way through it. `--from-curl` turns a curl command
    /// line into the runbook's first check (URL, method, headers, body,
    /// timeouts), or an action confirmed first when its method may change
    /// things (`POST`, `PUT`, `PATCH`, `DELETE`). Refuses to overwrite a
    /// file: writes neither when either exists.
    ///
    /// Exits 0 when both files are written, 2 for a bad name, `-o` or curl
    /// line, 3 when the runbook made from a curl line would not pass
    /// `check` (nothing is written), 1 when a file exists or cannot be
    /// written.
    #[command(after_long_help = "Examples:\n  \
        runbook new disk-full\n  \
        runbook new api --from-curl 'curl -fsS https://api.example/health'\n  \
        runbook new -o - scratch\n")]
    New(NewArgs),
    /// Print a shell completion script.
    ///
    /// Write it where the shell reads completions (below), then start a new
    /// shell. Exits 0, or 2 for a shell it does not know.
    #[command(after_long_help = "Install:\n  \
        bash        runbook completions bash > ~/.local/share/bash-completion/completions/runbook\n  \
        zsh         runbook completions zsh > ~/.zfunc/_runbook\n              \
        (with fpath+=~/.zfunc before compinit in ~/.zshrc)\n  \
        fish        runbook completions fish > ~/.config/fish/completions/runbook.fish\n  \
        PowerShell  runbook completions powershell | Out-File -Encoding utf8 $HOME\\runbook.ps1\n              \
        (with . $HOME\\runbook.ps1 in $PROFILE: the script's `using` lines must come first in a file)\n")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff).
    ///
    /// One page, `runbook(1)`: the global options, each command with its
    /// options, the exit status, the environment and examples.
    ///
    /// Exits 0, or 1 when it cannot be written.
    #[command(after_long_help = "Examples:\n  \
        runbook man > runbook.1 && man ./runbook.1\n  \
        \
        runbook man | gzip > /usr/local/share/man/man1/runbook.1.gz\n")]
    Man,
    /// Print the JSON Schema of runbook files (or of test files, or of
    /// `record.json`).
    ///
    /// Editors complete and validate runbooks that start with
    /// `# yaml-language-server: $schema=PATH/runbook.schema.json` (test
    /// files: `test.schema.json`). Exits 0, or 2 for a kind it does not
    /// know.
    #[command(after_long_help = "Examples:\n  \
        runbook schema > schemas/runbook.schema.json\n  \
        runbook schema test > schemas/test.schema.json\n")]
    Schema {
        /// Which schema: `runbook` (the default), `test` or `record`.
        #[arg(value_enum, default_value_t = SchemaKind::Runbook)]
        kind: SchemaKind,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Runbook files, or directories to search for them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: `human` (diagnostics with source snippets, on stderr)
    /// or `json` (one document on stdout, see docs/cli.md).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Fail (exit 3) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Check every file afresh: neither read nor write the cache of
    /// findings (also `RUNBOOK_NO_CACHE=1`; see docs/cli.md).
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// Test files, runbooks, or directories to search for both.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write JUnit XML here: one testcase per case, every failed
    /// expectation in its failure.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Fail (exit 6) when any runbook's edge coverage is below PCT percent.
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub min_coverage: Option<f64>,

    /// How to report coverage: `human` (with the results, on stderr), or
    /// `json` or `lcov` (on stdout, or into `--coverage-file`).
    #[arg(long, value_enum, default_value_t = CoverageFormat::Human)]
    pub coverage_format: CoverageFormat,

    /// Write the `json` or `lcov` coverage report here instead of stdout.
    #[arg(long, value_name = "FILE", requires = "coverage_format")]
    pub coverage_file: Option<PathBuf>,

    /// Turn an incident record into a new case: its inputs, observations,
    /// answers, path and conclusion, appended to the runbook's test file
    /// (comments kept), which then runs.
    #[arg(long, value_name = "DIR", conflicts_with = "paths")]
    pub from_record: Option<PathBuf>,
}

/// A percentage from 0 to 100.
fn parse_percent(text: &str) -> Result<f64, String> {
    let number: f64 =
        text.trim_end_matches('%').parse().map_err(|_| format!("`{text}` is not a percentage (0 to 100)"))?;
    if (0.0..=100.0).contains(&number) { Ok(number) } else { Err(format!("`{text}` is not between 0 and 100")) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CoverageFormat {
    /// With the results, for people.
    Human,
    /// Per runbook: covered and not covered edges, percentage.
    Json,
    /// An LCOV tracefile, for Codecov and Coveralls.
    Lcov,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// The runbook file.
    #[arg(value_name = "RUNBOOK")]
    pub path: PathBuf,

    /// Output format: `mermaid`, `dot` (Graphviz), or `svg` (through
    /// Graphviz's `dot`).
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,

    /// Highlight the steps and transitions of the run recorded in this
    /// directory (an incident record, holding `journal.jsonl`).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// How long `--format svg` lets Graphviz's `dot` lay the graph out
    /// before it is stopped (exit 1): a step that hundreds of edges lead
    /// into can take it many minutes.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = runbook_model::Duration::parse)]
    pub timeout: runbook_model::Duration,
}

#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// Runbook files, or directories to search for them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write one document per runbook and an `index.md` into this
    /// directory instead of printing to stdout (needed for several
    /// runbooks); a name ending in `.md` is one runbook's document.
    #[arg(long, short = 'o', value_name = "DIR|FILE.md")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The new runbook's id (lowercase letters, digits, `-` and `_`); the
    /// file is `NAME.yaml`.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Start from this curl command line: its URL, method, headers, body
    /// and timeouts become the first check, or, for a method that may
    /// change things (POST, PUT, PATCH, DELETE, or a body), an action
    /// confirmed first. Credentials (in headers, the
    /// query, the body) and `$VARIABLES` become inputs read from the
    /// environment, never written.
    #[arg(long, value_name = "COMMAND")]
    pub from_curl: Option<String>,

    /// Write here instead of `NAME.yaml` (a name ending in `.yaml` or
    /// `.yml`, in a directory that exists), the test cases beside it
    /// (`FILE.test.yaml`); `-` prints the runbook alone on stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The runbook file (not with `--case`, whose test file names it).
    #[arg(value_name = "RUNBOOK", required_unless_present = "case", conflicts_with = "case")]
    pub path: Option<PathBuf>,

    #[command(flatten)]
    pub session: SessionArgs,

    /// Run nothing: render and show every command and URL; check outcomes
    /// are assumed (`pass`, or `--assume`). Actions are never run.
    #[arg(long, conflicts_with = "read_only", help_heading = MODES)]
    pub dry_run: bool,

    /// With `--dry-run`, the outcome to assume for a step (`STEP=fail`,
    /// repeatable).
    #[arg(long, value_name = "STEP=OUTCOME", requires = "dry_run", help_heading = MODES)]
    pub assume: Vec<String>,

    /// With `--dry-run`, play one test case (`FILE.test.yaml:NAME`) through
    /// the evidence view: its mocked observations judged by the real
    /// expectations, its answers given; then whether it passed (exit 0) or
    /// which expectations failed (exit 6). Nothing runs; no record. The
    /// case gives its own inputs and answers: `-i`, `-a`, `--format json`
    /// and the like are refused.
    #[arg(long, value_name = "FILE:NAME", requires = "dry_run", conflicts_with = "assume", help_heading = MODES)]
    pub case: Option<String>,

    /// Run probes but never actions: every action is shown and skipped.
    #[arg(long, help_heading = MODES)]
    pub read_only: bool,

    /// Where to write the incident record (default:
    /// `incidents/<UTC time>-<runbook id>/`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_record", help_heading = OUTPUT)]
    pub record_dir: Option<PathBuf>,

    /// Write no incident record.
    #[arg(long, help_heading = OUTPUT)]
    pub no_record: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ResumeArgs {
    /// The record directory of the run (holding `journal.jsonl`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Resume even though the runbook file changed since the run started.
    #[arg(long)]
    pub allow_changed: bool,

    #[command(flatten)]
    pub session: SessionArgs,
}

/// What `run` and `resume` share: inputs, answers, output.
// Each flag is a switch of its own; grouping them would only rename them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub(crate) struct SessionArgs {
    /// An input's value (repeatable). Text is converted to the input's
    /// type; a list is `a,b,c` or JSON.
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", value_hint = ValueHint::Other, help_heading = INPUTS)]
    pub inputs: Vec<String>,

    /// A YAML or JSON file of input values by name.
    #[arg(long = "inputs", value_name = "FILE", help_heading = INPUTS)]
    pub inputs_file: Option<PathBuf>,

    /// The answer to a question or action (`STEP=VALUE`, repeatable).
    ///
    /// An `instruct` step's note is `STEP.NOTE=TEXT` and its checklist
    /// `STEP.checklist=1,3` (item numbers or texts, `all` or `none`); a step
    /// of a called runbook is `CALL-STEP/STEP=VALUE`.
    #[arg(long = "answer", short = 'a', value_name = "STEP=VALUE", value_hint = ValueHint::Other, help_heading = INPUTS)]
    pub answers: Vec<String>,

    /// A YAML file of answers by step id (an `instruct` step's notes as a
    /// map).
    #[arg(long = "answers", value_name = "FILE", help_heading = INPUTS)]
    pub answers_file: Option<PathBuf>,

    /// Answer questions that have a declared default with it, and take
    /// `instruct` steps as done with no notes, without asking (also at a
    /// terminal).
    #[arg(long, help_heading = INPUTS)]
    pub accept_defaults: bool,

    /// Run actions without asking for confirmation.
    #[arg(long, short = 'y', help_heading = INPUTS)]
    pub yes: bool,

    /// Never prompt, even on a terminal: questions need scripted answers.
    #[arg(long, help_heading = INPUTS)]
    pub non_interactive: bool,

    /// Output format: `human` (evidence blocks on stdout) or `json` (one
    /// event per line on stdout).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human, help_heading = OUTPUT)]
    pub format: Format,

    /// Show everything: whole outputs, every item, step descriptions.
    #[arg(long, short = 'v', help_heading = OUTPUT)]
    pub verbose: bool,

    /// Who runs it, for the record (default: `$USER`, else the uid's user name).
    #[arg(long, value_name = "NAME", help_heading = OUTPUT)]
    pub operator: Option<String>,

    /// Exit 7 when the conclusion matches: a status (`escalated`) or a
    /// severity (`severity>=high`, `severity=low`); comma-separated,
    /// repeatable.
    #[arg(long, value_name = "WHEN", help_heading = OUTPUT)]
    pub fail_on: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaKind {
    /// Runbook files.
    Runbook,
    /// Runbook test files (`NAME.test.yaml`).
    Test,
    /// `record.json` files.
    Record,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// SVG drawn by Graphviz's `dot`.
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

impl Color {
    /// Whether to colour a stream that is (or is not) a terminal.
    pub(crate) fn enabled(self, terminal: bool) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

/// `explain`'s argument: any text is taken, so that `explain` itself says
/// what it does not know (with a did-you-mean), while the codes and rule
/// names are offered to shell completion (`runbook explain RB2<Tab>`).
#[derive(Debug, Clone, Copy)]
struct CodeOrName;

impl TypedValueParser for CodeOrName {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(command, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let values =
            Code::ALL.iter().flat_map(|code| [PossibleValue::new(code.code()), PossibleValue::new(code.name())]);
        Some(Box::new(values))
    }
}
