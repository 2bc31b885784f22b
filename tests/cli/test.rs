//! One builder for every end-to-end test, in the style of just's
//! `Test::new().args(..).status(..)`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root, where `examples/`, `runbooks/` and `schemas/` live.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// SHA-256 of `bytes`, hex, as `sha256sum` computes it: the hash a run
/// journals for a runbook file's text.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child.stdin.take().expect("stdin").write_all(bytes).expect("sha256sum reads");
    let output = child.wait_with_output().expect("sha256sum ends");
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or_default().to_owned()
}

/// Asserts that `record.json` at `path` validates against the committed
/// `schemas/record.schema.json`, and returns it.
#[track_caller]
pub fn valid_record(path: &Path) -> serde_json::Value {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema = std::fs::read_to_string(workspace().join("schemas/record.schema.json")).expect("schema committed");
        jsonschema::validator_for(&serde_json::from_str(&schema).expect("schema is JSON")).expect("schema compiles")
    });
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let record = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let errors: Vec<String> = validator.iter_errors(&record).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{} does not match its schema:\n{}", path.display(), errors.join("\n"));
    record
}

/// A test's temporary directory. When it goes away, every `record.json` the
/// test left in it is validated against the committed schema, so that the
/// schema is proven on every record the suite writes.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// A new empty directory.
    pub fn new() -> Self {
        Self(tempfile::tempdir().expect("temporary directory"))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            validate_records_under(self.path());
        }
    }
}

/// Validates each `record.json` under `dir` (symbolic links not followed).
fn validate_records_under(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            validate_records_under(&entry.path());
        } else if kind.is_file() && entry.file_name() == "record.json" {
            valid_record(&entry.path());
        }
    }
}

/// A run of the `runbook` binary being set up.
pub struct Test {
    command: Command,
    dir: Option<Scratch>,
}

impl Test {
    /// A command run from the workspace root, colours off, without the
    /// `check` cache (the tests that exercise it turn it on).
    pub fn new() -> Self {
        Self::with_binary(Path::new(env!("CARGO_BIN_EXE_runbook")))
    }

    /// The same, running another copy of the binary.
    pub fn with_binary(program: &Path) -> Self {
        let mut command = Command::new(program);
        command.current_dir(workspace()).env("NO_COLOR", "1").env("RUNBOOK_NO_CACHE", "1").env_remove("RUST_BACKTRACE");
        Self { command, dir: None }
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.command.args(args);
        self
    }

    /// Sets an environment variable of the command.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    /// Removes an environment variable from the command's environment.
    pub fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// Writes `files` (name, bytes) into a fresh temporary directory and runs
    /// the command there.
    pub fn files(mut self, files: &[(&str, &[u8])]) -> Self {
        let dir = Scratch::new();
        for (name, bytes) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create parent");
            }
            std::fs::write(path, bytes).expect("write fixture");
        }
        self.command.current_dir(dir.path());
        self.dir = Some(dir);
        self
    }

    /// Runs `prepare` on the directory [`Test::files`] made (links, modes),
    /// before the command runs there.
    pub fn prepare(self, prepare: impl FnOnce(&Path)) -> Self {
        prepare(self.dir.as_ref().expect("`files` made the directory").path());
        self
    }

    /// Runs the command in `dir` (a directory an earlier run wrote into).
    pub fn in_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Runs the command and checks its exit status.
    #[track_caller]
    pub fn status(mut self, expected: i32) -> Output {
        let output = self.command.output().expect("runbook binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let status = output.status.code().unwrap_or(-1);
        assert_eq!(status, expected, "unexpected exit status\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        assert!(!stderr.contains("panicked"), "the binary panicked:\n{stderr}");
        Output { stdout, stderr, dir: self.dir }
    }
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

/// What a run printed.
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    dir: Option<Scratch>,
}

impl Output {
    /// Asserts that stderr contains `text`.
    #[track_caller]
    pub fn stderr_contains(self, text: &str) -> Self {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}:\n{}", self.stderr);
        self
    }

    /// Asserts that stdout contains `text`.
    #[track_caller]
    pub fn stdout_contains(self, text: &str) -> Self {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}:\n{}", self.stdout);
        self
    }

    /// A path inside the directory the command ran in (see [`Test::files`]).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.as_ref().map_or_else(workspace, |dir| dir.path().to_path_buf()).join(name)
    }

    /// Parses stdout as JSON lines (`--format json` of `runbook run`).
    #[track_caller]
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}")))
            .collect()
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not the expected JSON: {error}\n{}", self.stdout))
    }
}
