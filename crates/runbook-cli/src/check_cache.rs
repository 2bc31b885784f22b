//! The `check` cache: the findings for a file, kept by the hash of what
//! decides them, so that checking an unchanged tree reads and hashes each
//! file instead of parsing and analysing it (like ruff's cache).
//!
//! The key is the SHA-256 of the engine's identity (its version and the
//! size, modification time and inode of the running executable, so any
//! rebuild or upgrade misses), the path the file is reported under, and the
//! file's bytes. An entry is one file named after its key, written to a
//! temporary name and renamed, so concurrent runs never read half an entry;
//! an entry that does not parse, or names another key, is a miss. Runbooks
//! with `call` steps or a literal `tls.ca_file` are not cached: their
//! findings depend on files other than their own.
//!
//! Where: `$RUNBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/runbook`, else
//! `~/.cache/runbook`; entries in its `check/` folder. Off with
//! `--no-cache` or `RUNBOOK_NO_CACHE=1`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use runbook_model::{Code, Diagnostic, Runbook, Span};
use serde::{Deserialize, Serialize};

/// Where entries live, once the engine's identity is known.
pub(crate) struct CheckCache {
    dir: PathBuf,
    engine: Vec<u8>,
}

/// An entry on disk.
#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    diagnostics: Vec<CachedDiagnostic>,
}

#[derive(Serialize, Deserialize)]
struct CachedDiagnostic {
    code: String,
    message: String,
    start: usize,
    end: usize,
    label: Option<String>,
    help: Option<String>,
}

impl CheckCache {
    /// The cache, unless it is turned off or has nowhere to live.
    pub(crate) fn open(disabled: bool) -> Option<Self> {
        if disabled || std::env::var_os("RUNBOOK_NO_CACHE").is_some_and(|value| !value.is_empty() && value != "0") {
            return None;
        }
        let base = std::env::var_os("RUNBOOK_CACHE_DIR")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()).map(|d| Path::new(&d).join("runbook"))
            })
            .or_else(|| {
                std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|d| Path::new(&d).join(".cache/runbook"))
            })?;
        Some(Self { dir: base.join("check"), engine: engine_identity()? })
    }

    /// The key of a file reported as `name` with these bytes.
    pub(crate) fn key(&self, name: &str, bytes: &[u8]) -> String {
        let mut keyed = Vec::with_capacity(self.engine.len() + name.len() + bytes.len() + 16);
        for part in [self.engine.as_slice(), name.as_bytes()] {
            keyed.extend_from_slice(&(part.len() as u64).to_le_bytes());
            keyed.extend_from_slice(part);
        }
        keyed.extend_from_slice(bytes);
        runbook_engine::interpret::sha256_hex(&keyed)
    }

    /// The findings stored under `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<Vec<Diagnostic>> {
        let text = std::fs::read(self.dir.join(key)).ok()?;
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        if entry.key != key {
            return None;
        }
        entry.diagnostics.into_iter().map(CachedDiagnostic::into_diagnostic).collect()
    }

    /// Stores the findings of a checked file. Failures are ignored: the
    /// cache only saves time, and the findings are reported either way.
    pub(crate) fn put(&self, key: &str, runbook: Option<&Runbook>, diagnostics: &[Diagnostic]) {
        if runbook.is_some_and(|runbook| {
            runbook.steps.iter().any(|step| step.call.is_some())
                || !runbook_model::literal_ca_files(runbook).is_empty()
                || !runbook_model::relative_links(runbook).is_empty()
        }) {
            return;
        }
        let entry = Entry { key: key.to_owned(), diagnostics: diagnostics.iter().map(CachedDiagnostic::new).collect() };
        let Ok(text) = serde_json::to_vec(&entry) else { return };
        let _ = self.write(key, &text);
    }

    fn write(&self, key: &str, text: &[u8]) -> std::io::Result<()> {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.dir)?;
        let temporary =
            self.dir.join(format!(".{key}.{}.{}", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
        let written = std::fs::File::create(&temporary).and_then(|mut file| file.write_all(text));
        match written.and_then(|()| std::fs::rename(&temporary, self.dir.join(key))) {
            Ok(()) => Ok(()),
            Err(error) => {
                let _ = std::fs::remove_file(&temporary);
                Err(error)
            }
        }
    }
}

/// What tells this engine from any other build: the version, and the
/// executable's size, modification time and inode.
fn engine_identity() -> Option<Vec<u8>> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let identity = format!(
        "runbook {} {} {}.{} {}:{}",
        env!("CARGO_PKG_VERSION"),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.dev(),
        meta.ino()
    );
    Some(identity.into_bytes())
}

impl CachedDiagnostic {
    fn new(diagnostic: &Diagnostic) -> Self {
        Self {
            code: diagnostic.code.code().to_owned(),
            message: diagnostic.message.clone(),
            start: diagnostic.span.start,
            end: diagnostic.span.end,
            label: diagnostic.label.clone(),
            help: diagnostic.help.clone(),
        }
    }

    fn into_diagnostic(self) -> Option<Diagnostic> {
        let code = Code::ALL.iter().copied().find(|code| code.code() == self.code)?;
        let mut diagnostic = Diagnostic::new(code, Span { start: self.start, end: self.end }, self.message);
        diagnostic.label = self.label;
        diagnostic.help = self.help;
        Some(diagnostic)
    }
}
