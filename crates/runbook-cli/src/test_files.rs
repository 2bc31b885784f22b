//! Reading a runbook test file together with the runbook it tests, and
//! checking one against the other.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use runbook_model::{Code, Diagnostic, Plan, Source, Span, TestFile};

use crate::runbook_files;

/// A test file read, loaded and checked against its runbook.
pub(crate) struct CheckedTest {
    /// The test file's text, for rendering diagnostics.
    pub source: Source,
    /// The test file, when it loaded.
    pub test: Option<TestFile>,
    /// The runbook under test, when it loaded without errors.
    pub runbook: Option<TestedRunbook>,
    /// Every finding in the test file (the runbook's own errors are
    /// summarised as one RB506).
    pub diagnostics: Vec<Diagnostic>,
}

/// The runbook a test file tests.
pub(crate) struct TestedRunbook {
    /// Its file.
    pub path: PathBuf,
    /// The runbook, planned (its text in `plan.source`).
    pub plan: Plan,
}

impl CheckedTest {
    /// Whether the cases can run: the file and its runbook have no errors.
    pub(crate) fn is_runnable(&self) -> bool {
        self.test.is_some()
            && self.runbook.is_some()
            && !self.diagnostics.iter().any(|d| d.level() == runbook_model::Level::Error)
    }
}

/// The runbook a test file names (`runbook:`, relative to the test file),
/// or `NAME.yaml` beside `NAME.test.yaml`.
pub(crate) fn runbook_path(test_path: &Path, test: &TestFile) -> PathBuf {
    match &test.runbook {
        Some(relative) => test_path.parent().unwrap_or_else(|| Path::new(".")).join(&relative.value),
        None => runbook_files::runbook_of(test_path),
    }
}

/// Reads a test file or a runbook: a regular file only (a FIFO or a device
/// would hang or never end), and at most one byte past the size limit, so
/// the loader refuses a file too large without it being read whole.
pub(crate) fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = runbook_engine::open_regular_file(std::fs::OpenOptions::new().read(true), path, 0).map_err(|error| {
        if error.kind() == std::io::ErrorKind::InvalidInput {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file")
        } else {
            error
        }
    })?;
    let mut bytes = Vec::new();
    file.take(runbook_model::MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Loads the test file's bytes and checks them against its runbook, read
/// from disk.
pub(crate) fn check_test_file(path: &Path, bytes: &[u8]) -> CheckedTest {
    let (source, not_utf8) = runbook_model::decode(&path.display().to_string(), bytes);
    if let Some(diagnostic) = not_utf8 {
        return CheckedTest { source, test: None, runbook: None, diagnostics: vec![diagnostic] };
    }
    let test = match runbook_model::load_test_file(&source) {
        Ok(test) => test,
        Err(diagnostic) => return CheckedTest { source, test: None, runbook: None, diagnostics: vec![diagnostic] },
    };
    let runbook_path = runbook_path(path, &test);
    let at = test.runbook.as_ref().map_or(Span::new(0, 0), |runbook| runbook.span);
    // As written in the test file, so the message reads the same from any
    // directory.
    let shown = test.runbook.as_ref().map_or_else(|| runbook_path.display().to_string(), |r| r.value.clone());
    let problem = |message: String, help: &str| {
        Diagnostic::new(Code::TestRunbook, at, message).with_label("the runbook under test").with_help(help)
    };
    let runbook = match read_bounded(&runbook_path) {
        Err(error) => Err(problem(
            format!("cannot read the runbook under test `{shown}`: {error}"),
            "put the test file beside its runbook (`NAME.test.yaml` beside `NAME.yaml`), or name the runbook with `runbook: PATH`",
        )),
        Ok(bytes) => {
            // Loaded as `run` loads it, its `call` targets followed: a
            // missing callee or a call cycle is an error here too, even
            // when every case mocks the call's ending.
            match Plan::load(&runbook_path, &bytes) {
                Ok(plan) => Ok(TestedRunbook { path: runbook_path.clone(), plan }),
                Err(checked) => {
                    let errors: Vec<&Diagnostic> =
                        checked.diagnostics.iter().filter(|d| d.level() == runbook_model::Level::Error).collect();
                    let first = errors.first().map_or_else(String::new, |error| {
                        let (line, column) = checked.source.line_col(error.span.start);
                        format!(": {}:{line}:{column}: {} {}", checked.source.name(), error.code.code(), error.message)
                    });
                    let more = match errors.len() {
                        0 | 1 => String::new(),
                        n => format!(" (and {} more)", n - 1),
                    };
                    Err(problem(
                        format!("the runbook under test `{shown}` has errors{first}{more}"),
                        &format!("run `runbook check {}` and fix them first", runbook_path.display()),
                    ))
                }
            }
        }
    };
    match runbook {
        Ok(tested) => {
            let callees = tested.plan.called_runbooks();
            let diagnostics = runbook_model::analyse_test_file(&test, &tested.plan.runbook, &callees);
            CheckedTest { source, test: Some(test), runbook: Some(tested), diagnostics }
        }
        Err(diagnostic) => CheckedTest { source, test: Some(test), runbook: None, diagnostics: vec![diagnostic] },
    }
}
