//! `runbook schema`: print the JSON Schema of runbook files, test files or records.

use crate::cli::SchemaKind;
use crate::exit_code::ExitCode;

pub(super) fn run(kind: SchemaKind) -> ExitCode {
    match kind {
        SchemaKind::Runbook => super::print_stdout(&runbook_model::runbook_schema_text()),
        SchemaKind::Test => super::print_stdout(&runbook_model::test_schema_text()),
        SchemaKind::Record => super::print_stdout(&runbook_engine::record::record_schema_text()),
    }
}
