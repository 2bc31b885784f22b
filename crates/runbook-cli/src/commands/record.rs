//! `runbook record DIR`: rebuild `record.json` and `record.md` from the
//! journal of a run, typically one that was killed before it could.

use std::path::Path;

use super::print_stderr;
use crate::exit_code::ExitCode;

pub(super) fn run(dir: &Path) -> ExitCode {
    match runbook_engine::record::rebuild_records(dir) {
        Ok(record) => {
            print_stderr(&format!(
                "rebuilt {} and {} (run {})\n",
                dir.join("record.json").display(),
                dir.join("record.md").display(),
                record.status.name()
            ));
            ExitCode::Success
        }
        Err(error) => {
            print_stderr(&format!("error: cannot rebuild the record in `{}`: {error}\n", dir.display()));
            ExitCode::Io
        }
    }
}
