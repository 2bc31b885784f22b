//! The journal: every event of a run, one JSON line each with its time.
//! Lines are gathered and written together (one `write(2)` instead of one
//! per event) before the run does anything a killed process should not
//! forget: before each step starts, before a question, a retry's pause or
//! an action, after each answer, note and confirmation, at the end, and
//! whenever 64 KiB or 100 ms of lines are waiting. A written line outlives
//! a killed process (the page cache keeps it). The file is synced to disk
//! (`fdatasync`) where a power cut could otherwise repeat a side effect or
//! lose a person's words: before an action runs, after each answer, note
//! and confirmation, and at the end; otherwise in the background, at most
//! every 100 ms.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::clock::{Clock, rfc3339};
use crate::event::{Event, EventSink};
use crate::probe::millis;
use crate::step_facts::StepFacts;
use crate::timestamp::Timestamp;

use super::Record;
use super::build::Fold;
use super::journal_check::Consistency;
use super::record_dir::{self, RecordDir};
use super::repeated::{Probes, restore, written};

/// The journal's file name inside a record directory.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// Longest time a written event waits for the background sync, and a
/// gathered one for its write.
const SYNC_INTERVAL: Duration = Duration::from_millis(100);
/// Most bytes of lines gathered before they are written.
const GATHERED_BYTES: usize = 64 * 1024;

/// Appends events to `journal.jsonl`.
pub struct Journal {
    file: File,
    /// The record directory, open: the record files are written there.
    dir: RecordDir,
    path: PathBuf,
    /// The run's clock, which stamps each entry.
    clock: Arc<dyn Clock>,
    /// When this process began writing, by `clock`: entries' `elapsed_ms`
    /// count from here.
    opened: Instant,
    /// The first write or sync error, here or in the background; later
    /// events are not written.
    error: Arc<Mutex<Option<io::Error>>>,
    /// Events the journal held before this process appended to it
    /// (`runbook resume`).
    earlier: usize,
    /// Events this process wrote.
    written: usize,
    /// Lines of events not written yet, and how many.
    gathered: Vec<u8>,
    gathered_events: usize,
    /// When the first of them was gathered (real time: the bound is on
    /// what a killed process can lose).
    gathered_since: Instant,
    /// The step of the last event written, for saying how far the journal
    /// goes.
    last_step: Option<String>,
    /// Whether something was written since the last sync.
    dirty: Arc<AtomicBool>,
    /// The probes of the steps under way, whose output a step's facts
    /// refer to instead of repeating it.
    probes: Probes,
    /// The record of every entry the journal holds, folded as each is
    /// written (and, on a resume, from those read): the end of a run
    /// writes its record without reading the journal back.
    record: Fold,
    /// Dropped with the journal, which stops the background sync.
    _stop: mpsc::Sender<()>,
}

impl Journal {
    /// Creates the record directory (and its parents, `0700`) and a new
    /// journal in it (`0600`). Fails before anything runs when the
    /// directory cannot be written, is a symbolic link, belongs to someone
    /// else or holds files already; a failure leaves nothing behind.
    /// Entries are stamped by `clock`, the run's.
    pub fn create(dir: &Path, clock: Arc<dyn Clock>) -> io::Result<Self> {
        let dir = RecordDir::create(dir)?;
        let file = dir.create_new(JOURNAL_FILE).and_then(|file| {
            let made = Self::reserve(file, &dir);
            if made.is_err() {
                let _ = dir.remove(JOURNAL_FILE);
            }
            made
        });
        match file {
            Ok(file) => Self::started(file, dir, &[], clock),
            Err(error) => {
                dir.discard();
                Err(error)
            }
        }
    }

    /// Locks a new journal, and makes a full disk show now, not after the
    /// triage: room for the first events is written and synced, then given
    /// back.
    fn reserve(mut file: File, dir: &RecordDir) -> io::Result<File> {
        lock(&file, &dir.path().join(JOURNAL_FILE))?;
        file.write_all(&vec![0; 64 * 1024])?;
        file.sync_all()?;
        file.set_len(0)?;
        file.sync_all()?;
        dir.sync()?;
        Ok(file)
    }

    /// Opens the journal in `dir` to append to it (`runbook resume`), with
    /// entries stamped by `clock`. The directory must be one of this user's,
    /// not a symbolic link; once its journal is taken it is made `0700`.
    pub fn append(dir: &Path, clock: Arc<dyn Clock>) -> io::Result<Self> {
        let dir = RecordDir::open_owned(dir)?;
        let mut file = dir.open_existing(JOURNAL_FILE)?;
        lock(&file, &dir.path().join(JOURNAL_FILE))?;
        // A last line cut short by a crash is dropped, so that what follows
        // starts on a line of its own and the journal stays readable.
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut file, &mut bytes)?;
        let whole = bytes.iter().rposition(|byte| *byte == b'\n').map_or(0, |end| end + 1);
        if whole < bytes.len() {
            file.set_len(u64::try_from(whole).unwrap_or(u64::MAX))?;
        }
        file.sync_data()?;
        dir.make_private()?;
        let earlier = parse(&bytes[..whole], &dir.path().join(JOURNAL_FILE))?;
        Self::started(file, dir, &earlier, clock)
    }

    /// The journal holding the `earlier` entries, with its background sync
    /// running.
    fn started(file: File, dir: RecordDir, earlier: &[Entry], clock: Arc<dyn Clock>) -> io::Result<Self> {
        let error = Arc::new(Mutex::new(None));
        let dirty = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let (synced, failed, flag) = (file.try_clone()?, Arc::clone(&error), Arc::clone(&dirty));
        std::thread::Builder::new().name("journal-sync".into()).spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(SYNC_INTERVAL) {
                if flag.swap(false, Ordering::AcqRel)
                    && let Err(e) = synced.sync_data()
                {
                    failed.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(e);
                    return;
                }
            }
        })?;
        let opened = clock.now();
        let path = dir.path().join(JOURNAL_FILE);
        let mut record = Fold::new();
        for entry in earlier {
            record.add(entry.at.to_string(), entry.elapsed_ms, &entry.event);
        }
        Ok(Self {
            file,
            dir,
            path,
            clock,
            opened,
            error,
            earlier: earlier.len(),
            written: 0,
            gathered: Vec::with_capacity(GATHERED_BYTES),
            gathered_events: 0,
            gathered_since: Instant::now(),
            last_step: None,
            dirty,
            probes: Probes::default(),
            record,
            _stop: stop,
        })
    }

    /// Writes `record.json` and `record.md` beside the journal, from what
    /// the journal holds: the entries it read and wrote, folded as they
    /// were (the same record `runbook record` rebuilds from the file).
    /// Temporary record files that a killed process left are removed.
    /// When a write failed, the record is made from the file, which then
    /// holds fewer entries than were folded.
    pub fn write_records(mut self) -> io::Result<Record> {
        self.commit();
        if self.error.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
            return super::write_from_journal(&self.dir);
        }
        let record = std::mem::replace(&mut self.record, Fold::new());
        super::write_record(&self.dir, record, &self.path)
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the journal stopped recording, and how far it goes; `None` while
    /// every event is written.
    pub fn failure(&self) -> Option<String> {
        let error = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        let error = error.as_ref()?;
        let count = match (self.earlier, self.earlier + self.written) {
            (0, total) => format!("{total} events"),
            (_, total) => format!("{total} events, {} of them written by this resume", self.written),
        };
        let upto = match &self.last_step {
            Some(step) => format!("the run up to step `{step}` ({count})"),
            None => count,
        };
        Some(format!(
            "cannot write the journal `{}`: {error}; it records {upto}, and nothing after that",
            self.path.display()
        ))
    }

    fn write(&mut self, event: &Event) -> io::Result<()> {
        let elapsed_ms = millis(self.clock.now().saturating_duration_since(self.opened));
        let at = rfc3339(self.clock.wall());
        // A probe's part is serialised once: the line holds it, and so
        // does `record.json` (see `ProbeRecord`).
        let mut part_json = None;
        let mut line = match event {
            Event::Probe { step, attempt, part } => {
                self.probes.add(step, *attempt, part);
                let json = serde_json::value::to_raw_value(&**part)?;
                let probe = ProbeLine { step, attempt: *attempt, part: &json };
                let line = serde_json::to_vec(&Line::of(&at, elapsed_ms, Shown::Probe(probe)));
                part_json = Some(json);
                line
            }
            Event::StepFinished {
                step,
                outcome,
                error,
                duration_ms,
                captures,
                uncaptured,
                facts,
                facts_unredacted,
            } => {
                let parts = self.probes.finish(step);
                let facts = facts.as_ref().map(|facts| written(facts, &parts, *facts_unredacted));
                let finished =
                    Finished { step, outcome, error, duration_ms: *duration_ms, captures, uncaptured, facts: &facts };
                serde_json::to_vec(&Line::of(&at, elapsed_ms, Shown::Finished(finished)))
            }
            Event::RunStarted(info) => serde_json::to_vec(&Line {
                at: &at,
                elapsed_ms,
                event: Shown::Event(event),
                secret_salt: info.secret_salt.as_deref(),
                secret_keyed_by: &info.secret_keyed_by,
            }),
            _ => serde_json::to_vec(&Line::of(&at, elapsed_ms, Shown::Event(event))),
        }?;
        line.push(b'\n');
        if self.gathered.is_empty() {
            self.gathered_since = Instant::now();
        }
        self.gathered.extend_from_slice(&line);
        self.gathered_events += 1;
        self.record.add_written(at, Some(elapsed_ms), event, part_json);
        if must_sync(event) {
            self.write_gathered()?;
            self.file.sync_data()?;
        } else if must_write(event)
            || self.gathered.len() >= GATHERED_BYTES
            || self.gathered_since.elapsed() >= SYNC_INTERVAL
        {
            self.write_gathered()?;
            self.dirty.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Writes the gathered lines, in one `write(2)` where it takes them.
    fn write_gathered(&mut self) -> io::Result<()> {
        if self.gathered.is_empty() {
            return Ok(());
        }
        let written = self.file.write_all(&self.gathered);
        self.gathered.clear();
        let events = std::mem::take(&mut self.gathered_events);
        written?;
        self.written += events;
        Ok(())
    }
}

impl Drop for Journal {
    /// A journal dropped with lines gathered (a run that ended without
    /// `run_finished`) writes them.
    fn drop(&mut self) {
        self.commit();
    }
}

/// Whether `event` must be written before the run goes on: a step is about
/// to start (its commands or requests), a person is asked, or the run
/// pauses before a retry.
fn must_write(event: &Event) -> bool {
    matches!(event, Event::StepStarted { .. } | Event::Question { .. } | Event::Waiting { .. } | Event::Resumed { .. })
}

/// Whether `event` must be on disk before the run goes on: an action is
/// about to run, or a person's answer, note or confirmation was given, or
/// the run is over.
fn must_sync(event: &Event) -> bool {
    matches!(
        event,
        Event::ActionDecided { .. } | Event::Answered { .. } | Event::Instructed { .. } | Event::RunFinished { .. }
    )
}

/// A journal line as written: the event's fields with its time, and for
/// `run_started` the salt of the fingerprints, which only the journal
/// writes ([`RunInfo`](crate::event::RunInfo)'s `secret_salt`).
#[derive(serde::Serialize)]
struct Line<'a> {
    at: &'a str,
    elapsed_ms: u64,
    #[serde(flatten)]
    event: Shown<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_salt: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    secret_keyed_by: &'a [String],
}

impl<'a> Line<'a> {
    /// The line of an event other than `run_started`.
    fn of(at: &'a str, elapsed_ms: u64, event: Shown<'a>) -> Self {
        Self { at, elapsed_ms, event, secret_salt: None, secret_keyed_by: &[] }
    }
}

/// An event as the journal writes it.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Shown<'a> {
    /// As it is.
    Event(&'a Event),
    /// A `step_finished` event, its facts written without repeating what
    /// its probes observed (see [`super::repeated`]).
    Finished(Finished<'a>),
    /// A `probe` event, its part serialised already.
    Probe(ProbeLine<'a>),
}

/// The fields of [`Event::Probe`], in its order, the part as JSON.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename = "probe")]
struct ProbeLine<'a> {
    step: &'a str,
    attempt: u32,
    part: &'a serde_json::value::RawValue,
}

/// The fields of [`Event::StepFinished`], in its order.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename = "step_finished")]
struct Finished<'a> {
    step: &'a str,
    outcome: &'a Option<runbook_model::Outcome>,
    error: &'a Option<crate::probe::ProbeError>,
    duration_ms: u64,
    captures: &'a indexmap::IndexMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    uncaptured: &'a Vec<String>,
    facts: &'a Option<Cow<'a, StepFacts>>,
}

/// A journal line as read back: what the record, `runbook resume` and
/// `runbook record` fold.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Entry {
    /// When the event happened (RFC 3339, UTC), by the run's clock.
    pub at: Timestamp,
    /// Milliseconds from the start of the process that wrote it (the run,
    /// or a `runbook resume`) to the event, by the run's monotonic clock:
    /// unlike `at`, never moved by a change of the system time. Absent in
    /// journals written before it was, which stay readable.
    #[serde(default)]
    pub elapsed_ms: Option<u64>,
    /// Its line in the journal, from 1 (not written: counted as it is
    /// read), for an error about it found later (`runbook resume`).
    #[serde(skip)]
    pub line: usize,
    /// The `secret_salt` a `run_started` line gives, moved into its
    /// [`RunInfo`](crate::event::RunInfo) as it is read.
    #[serde(default)]
    secret_salt: Option<String>,
    /// The `secret_keyed_by` a `run_started` line gives, moved likewise.
    #[serde(default)]
    secret_keyed_by: Vec<String>,
    /// What happened: a `step_finished` event's facts whole again, what
    /// they hold of its probes' observations made from the `probe` lines
    /// before it (see the `repeated` module).
    #[serde(flatten)]
    pub event: Event,
}

impl EventSink for Journal {
    fn emit(&mut self, event: &Event) {
        if self.error.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
            return;
        }
        match self.write(event) {
            Ok(()) => {
                if let Event::StepStarted { step, .. } = event {
                    self.last_step = Some(step.clone());
                }
            }
            Err(error) => *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error),
        }
    }

    fn commit(&mut self) {
        if self.error.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
            return;
        }
        match self.write_gathered() {
            Ok(()) => self.dirty.store(true, Ordering::Release),
            Err(error) => *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error),
        }
    }

    fn failure(&self) -> Option<String> {
        Journal::failure(self)
    }
}

/// Takes the journal for this process: two runs (or two resumes) in one
/// record directory would interleave their events and run actions twice.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    file.try_lock().map_err(|_| {
        io::Error::new(io::ErrorKind::WouldBlock, format!("{} is in use by another runbook process", path.display()))
    })
}

/// Reads a journal back. A last line cut short by a crash is dropped; any
/// other line that is not an entry (not JSON, an unknown event, a field of
/// the wrong type, an unknown mode) is an error naming it.
pub fn read(path: &Path) -> io::Result<Vec<Entry>> {
    parse(&record_dir::read_existing(path)?, path)
}

/// The entries of the journal text `bytes` read from `path` (see [`read`]).
pub(super) fn parse(bytes: &[u8], path: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for_each(bytes, path, |entry| entries.push(entry))?;
    Ok(entries)
}

/// [`parse`] one entry at a time, in order, from a reader: a fold over a
/// long journal holds one line at once, not the whole file and every entry.
pub(super) fn for_each(mut lines: impl BufRead, path: &Path, mut fold: impl FnMut(Entry)) -> io::Result<()> {
    let mut line = Vec::new();
    let mut probes = Probes::default();
    let mut consistency = Consistency::default();
    let mut run: Option<String> = None;
    let not_an_entry = |number: usize, why: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: line {number} is not a journal entry: {why}", path.display()),
        )
    };
    for number in 1.. {
        line.clear();
        if lines.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        // What a crash can leave: blank lines, or blocks of NUL bytes.
        if line.iter().all(|byte| byte.is_ascii_whitespace() || *byte == 0) {
            continue;
        }
        // Parsed without its newline, so that a line cut short is found to
        // end early where it ends, not on the next line.
        let (text, whole) = match line.strip_suffix(b"\n") {
            Some(text) => (text, true),
            None => (line.as_slice(), false),
        };
        let mut entry = match serde_json::from_slice::<Entry>(text) {
            Ok(entry) => entry,
            // A line without its newline is the last one, cut short.
            Err(_) if !whole => break,
            Err(error) => return Err(not_an_entry(number, why_not_an_entry(text, &error))),
        };
        entry.line = number;
        if let Event::RunStarted(info) = &mut entry.event {
            info.secret_salt = entry.secret_salt.take();
            info.secret_keyed_by = std::mem::take(&mut entry.secret_keyed_by);
        }
        consistency.check(&entry.event, &probes).map_err(|why| not_an_entry(number, why))?;
        match &mut entry.event {
            Event::RunStarted(info) => {
                if let Some(first) = run.replace(info.id.clone()) {
                    let why = format!(
                        "a second `run_started` (run `{}`, after run `{first}`): a journal holds one run, and \
                         another run's lines were added to this one",
                        info.id
                    );
                    return Err(not_an_entry(number, why));
                }
            }
            Event::StepStarted { step, .. } => probes.start(step),
            Event::Probe { step, attempt, part } => probes.add(step, *attempt, part),
            Event::StepFinished { step, facts, .. } => {
                let parts = probes.finish(step);
                if let Some(facts) = facts {
                    restore(facts, &parts)
                        .map_err(|why| not_an_entry(number, format!("the facts of step `{step}` {why}")))?;
                }
            }
            _ => {}
        }
        fold(entry);
    }
    Ok(())
}

/// Why a line is not an entry: a `step_finished` line whose facts are not
/// what a step shows says so, naming the step; any other error is serde's.
fn why_not_an_entry(line: &[u8], error: &serde_json::Error) -> String {
    /// The step a line names.
    #[derive(serde::Deserialize)]
    struct Named {
        step: String,
    }
    /// A line's facts alone.
    #[derive(serde::Deserialize)]
    struct FactsOf {
        #[serde(rename = "facts")]
        _facts: Option<StepFacts>,
    }
    match (serde_json::from_slice::<Named>(line), serde_json::from_slice::<FactsOf>(line)) {
        (Ok(Named { step }), Err(facts)) => {
            format!("the facts of step `{step}` are not what a step shows: {}", within_the_line(&facts))
        }
        _ => within_the_line(error),
    }
}

/// A parse error as found within one line: serde's position is the
/// line's column (its line is always 1), said so; a line that stops before
/// its entry does says that.
fn within_the_line(error: &serde_json::Error) -> String {
    if error.is_eof() {
        return format!("it ends before its entry does (cut at column {})", error.column());
    }
    let text = error.to_string();
    match text.strip_suffix(&format!(" at line {} column {}", error.line(), error.column())) {
        Some(message) => format!("{message} (at column {})", error.column()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::VirtualClock;
    use crate::event::{Graph, RunInfo};
    use crate::interpret::Mode;

    const SALT: &str = "00112233445566778899aabbccddeeff";

    fn started(mode: Mode) -> Event {
        Event::RunStarted(RunInfo {
            id: "run".into(),
            runbook: "demo".into(),
            title: "Demo".into(),
            version: None,
            path: "/demo.yaml".into(),
            started_at: crate::timestamp::Timestamp::default(),
            operator: "alice".into(),
            host: "box".into(),
            mode,
            interactive: false,
            inputs: indexmap::IndexMap::new(),
            sha256: "00".into(),
            callees: Vec::new(),
            engine: "0".into(),
            graph: Graph::default(),
            assume: indexmap::IndexMap::new(),
            fail_on: Vec::new(),
            record_template: None,
            virtual_time: false,
            secret_salt: Some(SALT.into()),
            secret_keyed_by: vec!["api_key".into()],
        })
    }

    #[test]
    fn entries_read_back_as_the_events_written_and_a_journal_without_a_known_mode_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let clock = VirtualClock::new(std::time::UNIX_EPOCH);
        let mut journal = Journal::create(dir.path(), Arc::new(clock.clone())).unwrap();
        journal.emit(&started(Mode::ReadOnly));
        drop(journal);
        let path = dir.path().join(JOURNAL_FILE);
        let entries = read(&path).unwrap();
        let [Entry { at, elapsed_ms: Some(0), event: Event::RunStarted(info), .. }] = entries.as_slice() else {
            panic!("{entries:?}")
        };
        assert_eq!((at.as_str(), info.mode), ("1970-01-01T00:00:00.000Z", Mode::ReadOnly));
        // The salt is the journal's alone: serde, which every other sink
        // writes with, never writes it (code review L9).
        assert_eq!(info.secret_salt.as_deref(), Some(SALT), "read back into `run_started`");
        assert_eq!(info.secret_keyed_by, ["api_key"]);
        let serialized = serde_json::to_string(&started(Mode::ReadOnly)).unwrap();
        assert!(!serialized.contains("secret_") && !serialized.contains(SALT), "{serialized}");
        let line = std::fs::read_to_string(&path).unwrap();
        assert!(line.contains(&format!(r#""secret_salt":"{SALT}""#)), "{line}");
        assert!(line.contains(r#""mode":"read-only""#), "{line}");
        for (changed, why) in [
            (line.replace("read-only", "turbo"), "unknown variant `turbo`"),
            (line.replace(r#""mode":"read-only","#, ""), "missing field `mode`"),
            // Without its salt, or with one that does not read, a resumed
            // run would write what the run obtained in clear
            // (review-8-attack4 M3).
            (line.replace(&format!(r#","secret_salt":"{SALT}""#), ""), "has no `secret_salt`"),
            (line.replace(SALT, "zz"), "`secret_salt` `zz` is not the 32 hex digits"),
            (line.replace(SALT, "0011"), "`secret_salt` `0011` is not the 32 hex digits"),
        ] {
            // Not the last line, so not taken for a line cut short by a crash.
            std::fs::write(&path, format!("{changed}{changed}")).unwrap();
            let error = read(&path).unwrap_err().to_string();
            assert!(error.contains("line 1 is not a journal entry") && error.contains(why), "{error}");
        }
    }

    /// A step killed after its probe ran, then run again by a resume: its
    /// facts are made from the probe of the start they finished, not from
    /// the one before the kill.
    #[test]
    fn a_step_s_facts_are_made_from_the_probes_of_its_last_start() {
        use crate::probe::fixtures;
        use crate::step_facts::{KindFacts, OneProbe, ProbedFacts, StepFacts};
        let started_step = || Event::StepStarted {
            step: "s".into(),
            kind: runbook_model::StepKind::Check,
            title: None,
            description: None,
            visit: 1,
        };
        let probe = |stdout: &str| {
            let part = crate::event::Part {
                name: None,
                item: None,
                probe: runbook_model::ProbeKind::Cmd,
                target: "x".into(),
                observation: Some(fixtures::cmd(stdout)),
                expectations: Vec::new(),
                outcome: runbook_model::Outcome::Pass,
                error: None,
                assumed: false,
                not_sent: None,
            };
            Event::Probe { step: "s".into(), attempt: 1, part: Arc::new(part) }
        };
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(VirtualClock::new(std::time::UNIX_EPOCH));
        let mut journal = Journal::create(dir.path(), clock.clone()).unwrap();
        for event in [started(Mode::Live), started_step(), probe("before the kill")] {
            journal.emit(&event);
        }
        drop(journal);
        let mut resumed = loop {
            match Journal::append(dir.path(), clock.clone()) {
                Ok(journal) => break journal,
                Err(_) => std::thread::sleep(SYNC_INTERVAL),
            }
        };
        let observed = Some(fixtures::cmd("after the resume").step_facts());
        let facts = StepFacts {
            kind: KindFacts::Probed(ProbedFacts::One(Box::new(OneProbe { observed, probe_duration: 5 }))),
            outcome: Some(runbook_model::Outcome::Pass),
            error: None,
            duration: 5,
        };
        let finished = Event::StepFinished {
            step: "s".into(),
            outcome: facts.outcome,
            error: None,
            duration_ms: 5,
            captures: indexmap::IndexMap::new(),
            uncaptured: Vec::new(),
            facts: Some(facts.clone()),
            facts_unredacted: true,
        };
        let resuming = Event::Resumed { step: "s".into(), operator: "me".into(), runbook_changed: false, text: None };
        for event in [resuming, started_step(), probe("after the resume"), finished] {
            resumed.emit(&event);
        }
        drop(resumed);
        let path = dir.path().join(JOURNAL_FILE);
        assert!(!std::fs::read_to_string(&path).unwrap().lines().last().unwrap().contains("after the resume"));
        let entries = read(&path).unwrap();
        let Some(Event::StepFinished { facts: Some(read), .. }) = entries.last().map(|entry| &entry.event) else {
            panic!("{entries:?}")
        };
        assert_eq!(*read, facts);
    }

    /// `at` and `elapsed_ms` come from the run's clock; `elapsed_ms` counts
    /// from when this process opened the journal, a resume's from its own
    /// start.
    #[test]
    fn entries_are_stamped_by_the_runs_clock_with_the_time_elapsed_since_the_journal_opened() {
        let dir = tempfile::tempdir().unwrap();
        let clock = VirtualClock::new(std::time::UNIX_EPOCH);
        clock.advance(std::time::Duration::from_secs(60));
        let mut journal = Journal::create(dir.path(), Arc::new(clock.clone())).unwrap();
        journal.emit(&started(Mode::Live));
        clock.advance(std::time::Duration::from_millis(1500));
        journal.emit(&Event::Waiting { step: "s".into(), attempt: 1, wait_ms: 0 });
        drop(journal);
        clock.advance(std::time::Duration::from_secs(10));
        // The background sync lets go of the file (and its lock) within
        // its interval.
        let since = std::time::Instant::now();
        let mut resumed = loop {
            match Journal::append(dir.path(), Arc::new(clock.clone())) {
                Ok(journal) => break journal,
                Err(error) if since.elapsed() < std::time::Duration::from_secs(5) => {
                    assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
                    std::thread::sleep(SYNC_INTERVAL);
                }
                Err(error) => panic!("{error}"),
            }
        };
        clock.advance(std::time::Duration::from_millis(250));
        resumed.emit(&Event::Waiting { step: "s".into(), attempt: 2, wait_ms: 0 });
        drop(resumed);
        let path = dir.path().join(JOURNAL_FILE);
        let stamps: Vec<(String, Option<u64>)> =
            read(&path).unwrap().into_iter().map(|entry| (entry.at.to_string(), entry.elapsed_ms)).collect();
        let expected =
            [("1970-01-01T00:01:00.000Z", 0), ("1970-01-01T00:01:01.500Z", 1500), ("1970-01-01T00:01:11.750Z", 250)];
        assert_eq!(stamps, expected.map(|(at, elapsed)| (at.to_owned(), Some(elapsed))));
        // A journal from before `elapsed_ms` still reads.
        let old = std::fs::read_to_string(&path).unwrap().replace(r#""elapsed_ms":"#, r#""was":"#);
        std::fs::write(&path, old).unwrap();
        assert!(read(&path).unwrap().iter().all(|entry| entry.elapsed_ms.is_none()));
    }
}
