//! The incident record: the journal written as the run goes, and the
//! `record.json` and `record.md` rendered from it.

mod build;
mod excerpt_line;
mod journal;
mod journal_check;
pub(crate) mod markdown;
mod record_dir;
mod repeated;
mod resume;

pub use build::{
    ActionRecord, AttemptRecord, CallRecord, InstructionRecord, NextRecord, ProbeRecord, QuestionRecord, Record,
    RecordStatus, ResumedText, Resumption, StepRecord, StopRecord, record_schema_text,
};
pub use journal::{Entry, JOURNAL_FILE, Journal, read};
pub use markdown::markdown;
pub use markdown::{cell as markdown_text, code as markdown_code};
use record_dir::RecordDir;
pub use resume::{ResumeError, ResumePoint, resume_point};

/// Rebuilds `record.json` and `record.md` in `dir` from the journal there
/// (`runbook record DIR`). `dir` must be a directory of this user's, not a
/// symbolic link; a journal a run still going holds is refused (its record
/// would say "interrupted" while it goes on). Group and other permissions
/// are taken off the directory only once its journal is found to hold a
/// run: a refused directory is left as it was.
pub fn rebuild_records(dir: &std::path::Path) -> std::io::Result<Record> {
    let dir = RecordDir::open_owned(dir)?;
    dir.check_not_in_use(JOURNAL_FILE).map_err(|error| match error.kind() {
        std::io::ErrorKind::WouldBlock => error,
        kind => {
            let journal = dir.path().join(JOURNAL_FILE);
            std::io::Error::new(kind, format!("cannot read the journal `{}`: {error}", journal.display()))
        }
    })?;
    write_from_journal(&dir)
}

/// The record of the journal in `dir`, written there. A journal that holds
/// no run is refused, so that a good record is never replaced by an empty
/// one. Temporary record files that a killed process left are removed.
fn write_from_journal(dir: &RecordDir) -> std::io::Result<Record> {
    let journal = dir.path().join(JOURNAL_FILE);
    let lines = std::io::BufReader::with_capacity(64 * 1024, dir.open_to_read(JOURNAL_FILE)?);
    let mut fold = build::Fold::new();
    journal::for_each(lines, &journal, |entry| fold.add(entry.at.into(), entry.elapsed_ms, &entry.event))?;
    write_record(dir, fold, &journal)
}

/// Writes the record `fold` holds of the journal at `journal` into `dir`;
/// refused when the journal holds no run.
fn write_record(dir: &RecordDir, fold: build::Fold, journal: &std::path::Path) -> std::io::Result<Record> {
    if !fold.holds_run() {
        let message = format!("`{}` holds no run (it does not begin with run_started)", journal.display());
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    }
    dir.make_private()?;
    dir.remove_stale_temporaries()?;
    let record = fold.finish();
    // Compact: a file for machines (`jq .` shows it indented), written per
    // run; indenting it cost about a sixth of a recorded HTTP item.
    let json = |out: &mut dyn std::io::Write| {
        serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    };
    let markdown = |out: &mut dyn std::io::Write| out.write_all(markdown(&record).as_bytes());
    dir.write_pair(("record.json", json), ("record.md", markdown))?;
    Ok(record)
}
