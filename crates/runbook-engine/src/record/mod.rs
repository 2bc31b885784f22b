//! The incident record: the journal written as the run goes, and the
//! `record.json` and `record.md` rendered from it.

mod build;
mod journal;
mod markdown;
mod record_dir;
mod resume;

pub use build::{
    ActionRecord, AttemptRecord, CallRecord, InstructionRecord, NextRecord, QuestionRecord, RECORD_FORMAT,
    RECORD_SCHEMA_ID, Record, RecordStatus, Resumption, StepRecord, StopRecord, record_schema_text,
};
pub use journal::{Entry, JOURNAL_FILE, Journal, read};
pub use markdown::markdown;
use record_dir::write_pair;
pub use resume::{ResumePoint, resume_point};

/// Writes `record.json` and `record.md` into `dir` from the journal there,
/// after the checks `resume` makes before appending to a record directory:
/// `dir` is a directory, not a symbolic link, owned by this user, and the
/// journal is a regular file, not a symbolic link, holding a run; only then
/// is `dir` made `0700` (a refused directory is left as it was).
pub fn write_records(dir: &std::path::Path) -> std::io::Result<Record> {
    record_dir::check_ours(dir)?;
    write_from_journal(dir)
}

/// [`write_records`] for `runbook record DIR`, which also refuses a journal
/// a run still going holds: its record would say "interrupted" while it
/// goes on.
pub fn rebuild_records(dir: &std::path::Path) -> std::io::Result<Record> {
    record_dir::check_ours(dir)?;
    record_dir::check_not_in_use(&dir.join(JOURNAL_FILE))?;
    write_from_journal(dir)
}

/// The record of the journal in `dir`, written there. A journal that holds
/// no run is refused, so that a good record is never replaced by an empty
/// one.
fn write_from_journal(dir: &std::path::Path) -> std::io::Result<Record> {
    let journal = dir.join(JOURNAL_FILE);
    let entries = read(&journal)?;
    if !entries.first().is_some_and(|entry| matches!(entry.event, crate::event::Event::RunStarted(_))) {
        let message = format!("`{}` holds no run (it does not begin with run_started)", journal.display());
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    }
    record_dir::make_private(dir)?;
    let record = Record::from_journal(&entries);
    let mut json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    json.push(b'\n');
    write_pair(dir, ("record.json", &json), ("record.md", markdown(&record).as_bytes()))?;
    Ok(record)
}
