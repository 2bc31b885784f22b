//! `runbook schema`: print the JSON Schema of runbook files.

use crate::exit_code::ExitCode;

pub fn run() -> ExitCode {
    super::print_stdout(&runbook_model::runbook_schema_text())
}
