//! One builder for every end-to-end test, in the style of just's
//! `Test::new().args(..).status(..)`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, where `examples/`, `runbooks/` and `schemas/` live.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// A run of the `runbook` binary being set up.
pub struct Test {
    command: Command,
    dir: Option<tempfile::TempDir>,
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
        let dir = tempfile::tempdir().expect("temporary directory");
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
    dir: Option<tempfile::TempDir>,
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
