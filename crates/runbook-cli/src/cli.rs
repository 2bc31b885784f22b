//! Command-line arguments. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Executable runbooks: triage trees that probe, ask, and write an incident
/// record.
///
/// A runbook is a YAML file of steps (checks, questions, actions,
/// conclusions). `runbook check` finds mistakes in it before an incident
/// does. See docs/dsl.md for the language and docs/cli.md for every command.
#[derive(Debug, Parser)]
#[command(name = "runbook", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// When to use colours: `auto` uses them on a terminal unless `NO_COLOR`
    /// is set.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check runbooks for mistakes without running anything.
    ///
    /// Loads each file, reports YAML and shape errors at their line and
    /// column, then runs the static rules: unknown step ids, unreachable
    /// steps, paths without a conclusion, undefined names in templates,
    /// invalid `JSONPaths` and regexes, unconfirmed actions, secrets written
    /// into the file. Directories are searched for `*.yaml` and `*.yml`
    /// runbooks; `*.test.yaml` files are skipped.
    ///
    /// Exits 0 when no errors are found (warnings allowed unless
    /// `--deny-warnings`), 3 when a runbook has errors, 1 when a file cannot
    /// be read.
    Check(CheckArgs),
    /// Print the JSON Schema of runbook files.
    ///
    /// Editors complete and validate runbooks that start with
    /// `# yaml-language-server: $schema=PATH/runbook.schema.json`.
    Schema,
    /// Explain a diagnostic code: what it finds, why it matters, how to fix it.
    ///
    /// Takes a code (`RB201`) or a rule name (`unknown-step`); without one,
    /// lists every code.
    Explain {
        /// The code or rule name.
        code: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// For machines.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}
