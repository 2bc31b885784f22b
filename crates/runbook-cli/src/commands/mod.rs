//! One module per subcommand.

mod check;
mod completions;
mod explain;
mod graph;
mod man;
mod new;
mod record;
mod render;
mod run;
mod schema;
mod test;

use crate::cli::{Cli, Command};
use crate::exit_code::ExitCode;

/// Runs the chosen subcommand.
pub(crate) fn run(cli: Cli) -> ExitCode {
    survive_file_size_limits();
    match cli.command {
        Command::Check(args) => check::run(&args, cli.color),
        Command::Run(args) => run::run(&args, cli.color),
        Command::Resume(args) => run::resume(&args, cli.color),
        Command::Schema { kind } => schema::run(kind),
        Command::Record { dir } => record::run(&dir),
        Command::Test(args) => test::run(&args, cli.color),
        Command::Explain { code } => explain::run(code.as_deref()),
        Command::Graph(args) => graph::run(&args, cli.color),
        Command::Render(args) => render::run(&args, cli.color),
        Command::New(args) => new::run(&args, cli.color),
        Command::Completions { shell } => completions::run(shell),
        Command::Man => man::run(),
    }
}

/// A file size limit (`ulimit -f`) no longer kills the process with
/// SIGXFSZ: the write fails with `EFBIG` instead, and takes the path of any
/// other write error (a run stops, saying how far its journal goes). The
/// signal is caught, not ignored, so the commands a run starts get its
/// default action back when they are executed.
fn survive_file_size_limits() {
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
}

/// Writes to stdout; a closed pipe (`runbook schema | head`) is not an
/// error worth reporting.
pub(crate) fn print_stdout(text: &str) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::Success,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::Success,
        Err(_) => ExitCode::Io,
    }
}

/// Writes to stderr, ignoring failures: there is nowhere left to report them.
pub(crate) fn print_stderr(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Refuses a test file named where a runbook is expected (exit 2), naming
/// its runbook: its cases are not a runbook to run, draw or render, and a
/// shell completes `NAME.test.yaml` before `NAME.yaml`.
fn not_a_test_file(path: &std::path::Path) -> Result<(), ExitCode> {
    if !(path.is_file() && crate::runbook_files::is_test_file(path)) {
        return Ok(());
    }
    print_stderr(&format!(
        "error: `{}` is a test file (the cases of a runbook); give its runbook `{}`\n",
        crate::runbook_files::shown(path),
        crate::runbook_files::shown(crate::runbook_files::runbook_of(path))
    ));
    Err(ExitCode::Usage)
}
