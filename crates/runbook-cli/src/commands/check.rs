//! `runbook check`: load and lint runbooks and their test files, report
//! every finding.

use std::path::{Path, PathBuf};

use runbook_model::{Diagnostic, Level, Source};
use serde::Serialize;

use crate::check_cache::CheckCache;
use crate::cli::{CheckArgs, Color, Format};
use crate::diagnostics::{JsonDiagnostic, Renderer, Tally};
use crate::exit_code::ExitCode;
use crate::{runbook_files, test_files};

/// The findings for one file.
struct Checked {
    path: PathBuf,
    outcome: Result<(Source, Vec<Diagnostic>), std::io::Error>,
}

pub fn run(args: &CheckArgs, color: Color) -> ExitCode {
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
            Ok((_, diagnostics)) => tally.add(diagnostics),
            Err(_) => unreadable = true,
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
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(files.len().max(1));
    if workers <= 1 {
        return files.iter().map(|path| check_file(path, cache)).collect();
    }
    let chunk = files.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|path| check_file(path, cache)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().unwrap_or_default()).collect()
    })
}

/// Loads and analyses one file: a runbook, or a test file against its
/// runbook.
fn check_file(path: &Path, cache: Option<&CheckCache>) -> Checked {
    let outcome = std::fs::read(path).map(|bytes| {
        if runbook_files::is_test_file(path) {
            let checked = test_files::check_test_file(path, &bytes);
            (checked.source, checked.diagnostics)
        } else {
            check_runbook(path, &bytes, cache)
        }
    });
    Checked { path: path.to_owned(), outcome }
}

/// A runbook's findings, from the cache when it has them. Test files are
/// not cached: their findings depend on their runbook too.
fn check_runbook(path: &Path, bytes: &[u8], cache: Option<&CheckCache>) -> (Source, Vec<Diagnostic>) {
    let name = path.display().to_string();
    let key = cache.map(|cache| cache.key(&name, bytes));
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(diagnostics) = cache.get(key)
    {
        return (runbook_model::decode(&name, bytes).0, diagnostics);
    }
    let checked = runbook_model::check_file_bytes(path, bytes);
    if let (Some(cache), Some(key)) = (cache, &key) {
        cache.put(key, checked.runbook.as_ref(), &checked.diagnostics);
    }
    (checked.source, checked.diagnostics)
}

fn report_human(results: &[Checked], tally: Tally, color: Color) -> ExitCode {
    let renderer = Renderer::for_stderr(color);
    for checked in results {
        match &checked.outcome {
            Ok((source, diagnostics)) => {
                for diagnostic in diagnostics {
                    super::print_stderr(&renderer.render(source, diagnostic));
                }
            }
            Err(error) => super::print_stderr(&format!("error: cannot read `{}`: {error}\n", checked.path.display())),
        }
    }
    let plural = |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
    let unreadable = results.iter().filter(|checked| checked.outcome.is_err()).count();
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
            Ok((source, diagnostics)) => JsonFile {
                path: checked.path.display().to_string(),
                ok: !diagnostics.iter().any(|d| d.level() == Level::Error),
                read_error: None,
                diagnostics: diagnostics.iter().map(|d| JsonDiagnostic::new(source, d)).collect(),
            },
            Err(error) => JsonFile {
                path: checked.path.display().to_string(),
                ok: false,
                read_error: Some(error.to_string()),
                diagnostics: Vec::new(),
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
