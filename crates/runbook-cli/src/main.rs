//! The `runbook` command.

mod check_cache;
mod cli;
mod commands;
mod coverage;
mod curl;
mod curl_runbook;
mod diagnostics;
mod document;
mod evidence;
mod exit_code;
mod in_words;
mod junit;
mod own_environment;
mod record_case;
mod run_time;
mod runbook_files;
mod signals;
mod terminal;
mod test_files;
mod verdict;
mod view;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let code = commands::run(cli);
    std::process::ExitCode::from(code.as_u8())
}
