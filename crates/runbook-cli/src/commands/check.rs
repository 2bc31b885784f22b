//! `runbook check`: load and lint runbooks and their test files, report
//! every finding.

use std::path::{Path, PathBuf};

use runbook_model::{Diagnostic, InvalidCallee, Level, Plan, Source};
use serde::Serialize;

use crate::check_cache::CheckCache;
use crate::cli::{CheckArgs, Color, Format};
use crate::diagnostics::{JsonDiagnostic, Renderer, Tally};
use crate::exit_code::ExitCode;
use crate::{runbook_files, test_files};

/// The findings for one file.
struct Checked {
    path: PathBuf,
    outcome: Result<Findings, Unchecked>,
}

/// What checking a file found.
#[derive(Debug)]
struct Findings {
    /// The file's text.
    source: Source,
    /// Its diagnostics.
    diagnostics: Vec<Diagnostic>,
    /// The runbooks it calls that have errors of their own, each shown in
    /// full, not only quoted in its RB211.
    invalid_callees: Vec<InvalidCallee>,
}

/// Why a file has no findings.
#[derive(Debug)]
enum Unchecked {
    /// It could not be read.
    Unreadable(std::io::Error),
    /// Checking it panicked: a bug in `runbook`, reported for this file
    /// alone.
    Internal(String),
}

pub(super) fn run(args: &CheckArgs, color: Color) -> ExitCode {
    let files = match runbook_files::expand(&args.paths) {
        Ok(files) => files,
        Err(error) => {
            super::print_stderr(&format!("error: cannot list runbooks: {error}\n"));
            return ExitCode::Io;
        }
    };
    let cache = CheckCache::open(args.no_cache);
    let results = check_all(&files, cache.as_ref());
    let mut tally = Tally::default();
    let mut unreadable = false;
    for checked in &results {
        match &checked.outcome {
            Ok(findings) => tally.add(&findings.diagnostics),
            Err(Unchecked::Unreadable(_)) => unreadable = true,
            Err(Unchecked::Internal(_)) => tally.errors += 1,
        }
    }
    let status = match args.format {
        Format::Human => report_human(&results, tally, color),
        Format::Json => report_json(&results, tally),
    };
    if status != ExitCode::Success {
        return status;
    }
    if tally.errors > 0 || (args.deny_warnings && tally.warnings > 0) {
        ExitCode::InvalidRunbook
    } else if unreadable {
        ExitCode::Io
    } else {
        ExitCode::Success
    }
}

/// Checks the files on all cores, keeping their order.
fn check_all(files: &[PathBuf], cache: Option<&CheckCache>) -> Vec<Checked> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    check_parallel(files, workers, |path| check_file(path, cache))
}

/// Runs `check` over `files` on up to `workers` threads, keeping their
/// order. A panic while checking one file becomes that file's internal
/// error: the files beside it are still checked and reported.
fn check_parallel(files: &[PathBuf], workers: usize, check: impl Fn(&Path) -> Checked + Sync) -> Vec<Checked> {
    let guarded = |path: &PathBuf| {
        // Nothing is shared between files but the cache, whose writes are
        // whole files: a panic leaves nothing half-done for the others.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(path))).unwrap_or_else(|panic| {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Checked { path: path.clone(), outcome: Err(Unchecked::Internal(reason)) }
        })
    };
    let workers = workers.min(files.len()).max(1);
    if workers == 1 {
        return files.iter().map(guarded).collect();
    }
    let chunk = files.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| (part, scope.spawn(|| part.iter().map(guarded).collect::<Vec<_>>())))
            .collect();
        // Each file's panic is caught inside its worker, so a worker ends
        // normally; were one to die anyway, each of its files still gets a
        // report saying so.
        handles
            .into_iter()
            .flat_map(|(part, handle)| {
                handle.join().unwrap_or_else(|_| {
                    let died = || Err(Unchecked::Internal("the thread checking it stopped".to_owned()));
                    part.iter().map(|path| Checked { path: path.clone(), outcome: died() }).collect()
                })
            })
            .collect()
    })
}

/// Loads and analyses one file: a runbook, or a test file against its
/// runbook.
fn check_file(path: &Path, cache: Option<&CheckCache>) -> Checked {
    let outcome = test_files::read_bounded(path).map_err(Unchecked::Unreadable).map(|bytes| {
        if runbook_files::is_test_file(path) {
            let checked = test_files::check_test_file(path, &bytes);
            Findings { source: checked.source, diagnostics: checked.diagnostics, invalid_callees: Vec::new() }
        } else {
            check_runbook(path, &bytes, cache)
        }
    });
    Checked { path: path.to_owned(), outcome }
}

/// A runbook's findings, from the cache when it has them (a runbook with
/// `call` steps never is, so a cached one calls nothing). Test files are
/// not cached: their findings depend on their runbook too.
fn check_runbook(path: &Path, bytes: &[u8], cache: Option<&CheckCache>) -> Findings {
    let name = path.display().to_string();
    let key = cache.map(|cache| cache.key(&name, bytes));
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(diagnostics) = cache.get(key)
    {
        return Findings { source: runbook_model::decode(&name, bytes).0, diagnostics, invalid_callees: Vec::new() };
    }
    // Planned as `run` plans it: a runbook that checks clean is one that
    // runs.
    let (source, runbook, diagnostics, invalid_callees) = match Plan::load(path, bytes) {
        Ok(plan) => (plan.source, Some(plan.runbook), plan.warnings, Vec::new()),
        Err(checked) => {
            let runbook_model::Checked { source, runbook, diagnostics, invalid_callees, .. } = *checked;
            (source, runbook, diagnostics, invalid_callees)
        }
    };
    if let (Some(cache), Some(key)) = (cache, &key) {
        cache.put(key, runbook.as_ref(), &diagnostics);
    }
    Findings { source, diagnostics, invalid_callees }
}

fn report_human(results: &[Checked], tally: Tally, color: Color) -> ExitCode {
    let renderer = Renderer::for_stderr(color);
    for checked in results {
        match &checked.outcome {
            Ok(findings) => {
                super::print_stderr(&renderer.render_file(
                    &findings.source,
                    &findings.diagnostics,
                    &findings.invalid_callees,
                ));
            }
            Err(Unchecked::Unreadable(error)) => {
                super::print_stderr(&format!("error: cannot read `{}`: {error}\n", checked.path.display()));
            }
            Err(Unchecked::Internal(reason)) => super::print_stderr(&format!(
                "error: internal error while checking `{}`: {reason}\n  this is a bug in runbook: please report it \
                 with the file\n",
                checked.path.display()
            )),
        }
    }
    let plural = |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
    let unreadable = results.iter().filter(|checked| matches!(checked.outcome, Err(Unchecked::Unreadable(_)))).count();
    let mut verdict = if tally.errors == 0 && tally.warnings == 0 {
        "ok".to_owned()
    } else {
        format!("{}, {}", plural(tally.errors, "error"), plural(tally.warnings, "warning"))
    };
    if unreadable > 0 {
        verdict = format!("{verdict}; {} could not be read", plural(unreadable, "file"));
    }
    let read: Vec<&Checked> = results.iter().filter(|checked| checked.outcome.is_ok()).collect();
    let tests = read.iter().filter(|checked| runbook_files::is_test_file(&checked.path)).count();
    let what = if tests == 0 {
        plural(read.len(), "runbook")
    } else {
        format!("{} and {}", plural(read.len() - tests, "runbook"), plural(tests, "test file"))
    };
    super::print_stderr(&format!("checked {what}: {verdict}\n"));
    ExitCode::Success
}

/// The `--format json` document. Stable: fields are only ever added.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    files: Vec<JsonFile<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_error: Option<String>,
    /// Checking the file panicked (a bug); its findings are unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    internal_error: Option<String>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    /// The runbooks it calls that have errors of their own, each with all
    /// of them, located in its own text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    invalid_callees: Vec<JsonCallee<'a>>,
}

/// A called runbook with errors, in the JSON report.
#[derive(Serialize)]
struct JsonCallee<'a> {
    /// The file, as the caller names it.
    path: &'a str,
    /// The files from the one checked to this one, outermost first.
    chain: &'a [String],
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    errors: usize,
    warnings: usize,
}

fn report_json(results: &[Checked], tally: Tally) -> ExitCode {
    let files = results
        .iter()
        .map(|checked| match &checked.outcome {
            Ok(findings) => JsonFile {
                path: checked.path.display().to_string(),
                ok: !findings.diagnostics.iter().any(|d| d.level() == Level::Error),
                read_error: None,
                internal_error: None,
                diagnostics: findings.diagnostics.iter().map(|d| JsonDiagnostic::new(&findings.source, d)).collect(),
                invalid_callees: findings
                    .invalid_callees
                    .iter()
                    .map(|callee| JsonCallee {
                        path: callee.source.name(),
                        chain: &callee.chain,
                        diagnostics: callee.errors.iter().map(|d| JsonDiagnostic::new(&callee.source, d)).collect(),
                    })
                    .collect(),
            },
            Err(unchecked) => JsonFile {
                path: checked.path.display().to_string(),
                ok: false,
                read_error: match unchecked {
                    Unchecked::Unreadable(error) => Some(error.to_string()),
                    Unchecked::Internal(_) => None,
                },
                internal_error: match unchecked {
                    Unchecked::Internal(reason) => Some(reason.clone()),
                    Unchecked::Unreadable(_) => None,
                },
                diagnostics: Vec::new(),
                invalid_callees: Vec::new(),
            },
        })
        .collect();
    let report = JsonReport {
        version: 1,
        files,
        summary: JsonSummary { files: results.len(), errors: tally.errors, warnings: tally.warnings },
    };
    match serde_json::to_string_pretty(&report) {
        Ok(mut text) => {
            text.push('\n');
            super::print_stdout(&text)
        }
        Err(_) => ExitCode::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that panics on `bad.yaml` and finds nothing elsewhere.
    fn panics_on_bad(path: &Path) -> Checked {
        assert!(!path.ends_with("bad.yaml"), "a bug triggered by {}", path.display());
        let source = Source::new(path.display().to_string(), "");
        Checked {
            path: path.to_owned(),
            outcome: Ok(Findings { source, diagnostics: Vec::new(), invalid_callees: Vec::new() }),
        }
    }

    #[test]
    fn a_panic_on_one_file_is_its_internal_error_and_every_other_file_is_still_reported() {
        let files: Vec<PathBuf> = ["a.yaml", "bad.yaml", "c.yaml", "d.yaml", "e.yaml"].map(PathBuf::from).to_vec();
        for workers in [1, 2, 8] {
            let results = check_parallel(&files, workers, panics_on_bad);
            let paths: Vec<&Path> = results.iter().map(|checked| checked.path.as_path()).collect();
            assert_eq!(paths, files.iter().map(PathBuf::as_path).collect::<Vec<_>>(), "{workers} workers");
            for checked in &results {
                match (&checked.outcome, checked.path.ends_with("bad.yaml")) {
                    (Err(Unchecked::Internal(reason)), true) => assert!(reason.contains("a bug triggered by bad.yaml")),
                    (Ok(findings), false) => assert!(findings.diagnostics.is_empty()),
                    (outcome, _) => panic!("{}: {outcome:?}", checked.path.display()),
                }
            }
        }
    }
}
