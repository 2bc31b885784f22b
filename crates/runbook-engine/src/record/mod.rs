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
use record_dir::write_atomically;
pub use resume::{ResumePoint, resume_point};

/// Writes `record.json` and `record.md` into `dir` from the journal there,
/// after the checks `resume` makes before appending to a record directory:
/// `dir` is a directory, not a symbolic link, owned by this user (made
/// `0700`), and the journal is not a symbolic link.
pub fn write_records(dir: &std::path::Path) -> std::io::Result<Record> {
    record_dir::check_owned(dir)?;
    let entries = read(&dir.join(JOURNAL_FILE))?;
    let record = Record::from_journal(&entries);
    let mut json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    json.push(b'\n');
    write_atomically(dir, "record.json", &json)?;
    write_atomically(dir, "record.md", markdown(&record).as_bytes())?;
    Ok(record)
}
