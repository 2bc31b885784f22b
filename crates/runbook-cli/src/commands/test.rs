//! `runbook test`: run every case of the test files found, report each
//! like a test runner, measure branch coverage, write JUnit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use runbook_engine::event::{Event, EventSink};
use runbook_engine::interpret::{Mode, compile_templates};
use runbook_engine::printable::printable_line;
use runbook_engine::scenario::{Failure, Trace, run_case, verdict};
use runbook_model::{Level, Plan, Source};

use super::print_stderr;
use crate::cli::{Color, CoverageFormat, TestArgs};
use crate::coverage::{Coverage, percent_text};
use crate::diagnostics::Renderer;
use crate::exit_code::ExitCode;
use crate::junit::{CaseResult, Suite};
use crate::record_case::{self, case_from_journal};
use crate::runbook_files;
use crate::runbook_files::shown;
use crate::test_files::{CheckedTest, check_test_file, read_bounded};

/// Discards events: the runner reads the run's trace, not the view.
struct Quiet;

impl EventSink for Quiet {
    fn emit(&mut self, _: &Event) {}
}

/// The test files to run, the runbooks found without one beside them, and
/// why a path given yields nothing.
#[derive(Default)]
struct Found {
    tests: Vec<PathBuf>,
    runbooks: Vec<PathBuf>,
    /// One `error:` line per path that does not exist, cannot be listed, or
    /// holds no runbook and no test file: a gate never passes on nothing.
    problems: Vec<String>,
}

/// Test files named or found, and runbooks without a `NAME.test.yaml`
/// beside them (a test file may still name one with `runbook:`). A runbook
/// named on the command line brings its `NAME.test.yaml`. Every other YAML
/// file is taken for a runbook, as `runbook check DIR` takes it.
fn find(paths: &[PathBuf]) -> Found {
    let mut found = Found::default();
    for path in paths {
        let files = match std::fs::metadata(path).and_then(|_| runbook_files::expand(std::slice::from_ref(path))) {
            Ok(files) => files,
            Err(error) => {
                found.problems.push(format!("error: cannot read `{}`: {error}", shown(path)));
                continue;
            }
        };
        if files.is_empty() {
            found.problems.push(format!("error: `{}` holds no runbook and no test file", shown(path)));
        }
        for file in files {
            let test = if runbook_files::is_test_file(&file) {
                file
            } else {
                let beside = runbook_files::test_file_of(&file);
                if !beside.is_file() {
                    found.runbooks.push(file);
                    continue;
                }
                beside
            };
            if !found.tests.contains(&test) {
                found.tests.push(test);
            }
        }
    }
    found
}

pub(super) fn run(args: &TestArgs, color: Color) -> ExitCode {
    let paths = match &args.from_record {
        Some(dir) => match add_case_from_record(dir) {
            Ok(test_file) => vec![test_file],
            Err(code) => return code,
        },
        None if args.paths.is_empty() => vec![PathBuf::from(".")],
        None => args.paths.clone(),
    };
    let found = find(&paths);
    if let Err(message) = check_outputs(args, &found) {
        print_stderr(&format!("error: {message}\n"));
        return ExitCode::Usage;
    }
    let renderer = Renderer::for_stderr(color);
    let mut coverage = Coverage::default();
    let mut suites = Vec::new();
    let (mut passed, mut failed, mut invalid, mut broken, mut unreadable) = (0, 0, 0, 0, 0);
    let mut out = String::new();
    for problem in &found.problems {
        let _ = writeln!(out, "{problem}");
        unreadable += 1;
    }
    // The runbooks the test files test, `runbook:` included.
    let mut tested = Vec::new();
    for path in &found.tests {
        let bytes = match read_bounded(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                let _ = writeln!(out, "error: cannot read `{}`: {error}", shown(path));
                unreadable += 1;
                continue;
            }
        };
        let checked = check_test_file(path, &bytes);
        if let Some(test) = &checked.test
            && let Ok(runbook) = crate::test_files::runbook_path(path, test).canonicalize()
        {
            tested.push(runbook);
        }
        let suite = run_file(path, &checked, &renderer, &mut coverage, &mut out);
        if suite.error.is_some() {
            invalid += 1;
        }
        passed += suite.cases.iter().filter(|case| case.failures.is_empty()).count();
        failed += suite.cases.iter().filter(|case| !case.failures.is_empty()).count();
        suites.push(suite);
    }
    let untested: Vec<&PathBuf> =
        found.runbooks.iter().filter(|path| path.canonicalize().map_or(true, |path| !tested.contains(&path))).collect();
    for runbook in &untested {
        let _ = writeln!(out, "{}: no test file ({})", shown(runbook), shown(runbook_files::test_file_of(runbook)));
        match read_bounded(runbook) {
            Ok(bytes) => match Plan::load(runbook, &bytes) {
                Ok(plan) => coverage.add_untested(runbook, &plan),
                Err(checked) => {
                    for diagnostic in checked.diagnostics.iter().filter(|d| d.level() == Level::Error) {
                        out.push_str(&renderer.render(&checked.source, diagnostic));
                    }
                    let _ = writeln!(
                        out,
                        "{0}: not a runbook without errors (`runbook check {0}` says why); it counts as 0 % covered",
                        shown(runbook)
                    );
                    coverage.add_broken(runbook);
                    broken += 1;
                }
            },
            Err(error) => {
                let _ = writeln!(out, "error: cannot read `{}`: {error}", shown(runbook));
                coverage.add_broken(runbook);
                unreadable += 1;
            }
        }
    }
    let machine_coverage = match args.coverage_format {
        CoverageFormat::Human => {
            out.push_str(&coverage.human());
            None
        }
        CoverageFormat::Json => Some(coverage.json()),
        CoverageFormat::Lcov => Some(coverage.lcov()),
    };
    let below = args.min_coverage.map(|min| (min, coverage.below(min))).unwrap_or_default();
    for (file, percent) in &below.1 {
        let _ = writeln!(out, "coverage of {file} is {}, below --min-coverage {}%", percent_text(*percent), below.0);
    }
    let mut summary = format!("{passed} passed, {failed} failed");
    if invalid > 0 {
        let _ = write!(summary, "; {invalid} test file{} with errors", if invalid == 1 { "" } else { "s" });
    }
    if broken > 0 {
        let _ = write!(summary, "; {broken} runbook{} with errors", if broken == 1 { "" } else { "s" });
    }
    if unreadable > 0 {
        let _ = write!(summary, "; {unreadable} unreadable");
    }
    if !untested.is_empty() {
        let n = untested.len();
        let _ = write!(summary, "; {n} runbook{} without tests", if n == 1 { "" } else { "s" });
    }
    let _ = writeln!(out, "{summary}");
    print_stderr(&out);
    let mut code = ExitCode::Success;
    if let Some(report) = machine_coverage {
        code = match &args.coverage_file {
            Some(file) => write_file(file, &report),
            None => super::print_stdout(&report),
        };
    }
    if let Some(file) = &args.junit
        && write_file(file, &crate::junit::render(&suites)) != ExitCode::Success
    {
        code = ExitCode::Io;
    }
    if invalid > 0 || broken > 0 {
        ExitCode::InvalidRunbook
    } else if unreadable > 0 || code != ExitCode::Success {
        ExitCode::Io
    } else if failed > 0 || !below.1.is_empty() {
        ExitCode::TestsFailed
    } else {
        ExitCode::Success
    }
}

/// Refuses an output that would destroy an input: `--junit` or
/// `--coverage-file` naming a test file or a runbook (any YAML file, since
/// a test file may name its runbook anywhere), and a `--coverage-file` for
/// the human report, which goes with the results on stderr.
fn check_outputs(args: &TestArgs, found: &Found) -> Result<(), String> {
    if args.coverage_file.is_some() && args.coverage_format == CoverageFormat::Human {
        return Err("`--coverage-file` takes the `json` or `lcov` report; the human one goes to stderr with the \
                    results: add `--coverage-format json` or `--coverage-format lcov`"
            .to_owned());
    }
    let inputs: Vec<PathBuf> = found
        .tests
        .iter()
        .flat_map(|test| [test.clone(), runbook_files::runbook_of(test)])
        .chain(found.runbooks.iter().cloned())
        .filter_map(|path| path.canonicalize().ok())
        .collect();
    for (flag, output) in [("--junit", &args.junit), ("--coverage-file", &args.coverage_file)] {
        let Some(output) = output else { continue };
        let is_input = output.canonicalize().is_ok_and(|output| inputs.contains(&output));
        if is_input || runbook_files::is_yaml_file(output) {
            return Err(format!(
                "`{flag} {}` would overwrite a runbook or a test file; write the report to another file",
                shown(output)
            ));
        }
    }
    Ok(())
}

/// Appends the case a record's journal describes to its runbook's test
/// file; the test file's path, to run it.
fn add_case_from_record(dir: &Path) -> Result<PathBuf, ExitCode> {
    let journal = dir.join(runbook_engine::record::JOURNAL_FILE);
    let entries = runbook_engine::record::read(&journal).map_err(|error| {
        print_stderr(&format!("error: cannot read the journal `{}`: {error}\n", shown(&journal)));
        ExitCode::Io
    })?;
    let refuse = |message: String| {
        print_stderr(&format!("error: cannot turn `{}` into a test case: {message}\n", shown(dir)));
        ExitCode::Usage
    };
    let mut case = case_from_journal(&entries, &dir.display().to_string()).map_err(refuse)?;
    // Nothing is written beside a runbook that is not there (moved, deleted).
    if !Path::new(&case.runbook).is_file() {
        return Err(refuse(format!("the runbook it ran, `{}`, is not a file here", case.runbook)));
    }
    let test_file = runbook_files::test_file_of(Path::new(&case.runbook));
    let existing = match std::fs::read_to_string(&test_file) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            print_stderr(&format!("error: cannot read `{}`: {error}\n", shown(&test_file)));
            return Err(ExitCode::Io);
        }
    };
    if let Some(text) = &existing
        && let Ok(test) = runbook_model::load_test_file(&Source::new(test_file.display().to_string(), text.as_str()))
    {
        let taken: Vec<&str> = test.cases.iter().map(|case| case.name.value.as_str()).collect();
        case.rename_apart(&taken);
    }
    let text = record_case::append(existing.as_deref(), &case).map_err(refuse)?;
    // The file must still load: a case that breaks it is not written.
    let source = Source::new(test_file.display().to_string(), text.as_str());
    if let Err(diagnostic) = runbook_model::load_test_file(&source) {
        return Err(refuse(format!("the new case does not load: {}", diagnostic.message)));
    }
    // The case holds the record's probe output, which the record keeps
    // private: a new test file is made `0600` too (an existing one keeps
    // its mode).
    if existing.is_none() {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&test_file)
            .and_then(|mut file| file.write_all(text.as_bytes()));
        if let Err(error) = created {
            print_stderr(&format!("error: cannot write `{}`: {error}\n", shown(&test_file)));
            return Err(ExitCode::Io);
        }
    } else if write_file(&test_file, &text) != ExitCode::Success {
        return Err(ExitCode::Io);
    }
    print_stderr(&format!("added case `{}` to {}\n", case.name, shown(&test_file)));
    Ok(test_file)
}

fn write_file(path: &Path, text: &str) -> ExitCode {
    match std::fs::write(path, text) {
        Ok(()) => ExitCode::Success,
        Err(error) => {
            print_stderr(&format!("error: cannot write `{}`: {error}\n", shown(path)));
            ExitCode::Io
        }
    }
}

/// Runs the cases of one checked test file, reporting into `out`.
fn run_file(
    path: &Path,
    checked: &CheckedTest,
    renderer: &Renderer,
    coverage: &mut Coverage,
    out: &mut String,
) -> Suite {
    let name = shown(path);
    let (Some(test), Some(tested), true) = (&checked.test, &checked.runbook, checked.is_runnable()) else {
        let mut error = String::new();
        for diagnostic in checked.diagnostics.iter().filter(|d| d.level() == Level::Error) {
            error.push_str(&renderer.render(&checked.source, diagnostic));
        }
        let _ = writeln!(out, "{name}: cannot run, the test file has errors\n{error}");
        // Its runbook still counts, at 0 % when it is the broken part.
        match (&checked.runbook, &checked.test) {
            (Some(tested), _) => coverage.add(&tested.path, &tested.plan),
            (None, Some(test)) => coverage.add_broken(&crate::test_files::runbook_path(path, test)),
            (None, None) => {}
        }
        let runbook = checked.runbook.as_ref().map_or_else(String::new, |r| r.plan.runbook.id.value.clone());
        return Suite { name, runbook, cases: Vec::new(), error: Some(error) };
    };
    coverage.add(&tested.path, &tested.plan);
    let _ = writeln!(out, "{name} ({})", shown(&tested.path));
    let mut cases = Vec::new();
    let templates = compile_templates(&tested.plan, Mode::Live);
    for case in test.cases.iter() {
        let started = Instant::now();
        let run = run_case(&tested.plan, &templates, &tested.path, test, case, &mut Quiet);
        let failures = verdict(case, &run);
        let time = started.elapsed();
        coverage.record(&tested.path, &tested.plan, &run.trace);
        if failures.is_empty() {
            let _ = writeln!(out, "  ok    {}", printable_line(&case.name.value));
        } else {
            let _ = writeln!(out, "  FAIL  {}", printable_line(&case.name.value));
            out.push_str(&explain(&checked.source, case, &run.trace, &failures));
            let which = printable_line(&format!("{name}:{}", case.name.value)).replace('\'', "'\\''");
            let _ = writeln!(out, "        replay it step by step: runbook run --dry-run --case '{which}'");
        }
        cases.push(CaseResult {
            name: case.name.value.clone(),
            time,
            failures: failures
                .iter()
                .map(|failure| reported(&checked.source, case, failure, &run.trace.path))
                .collect(),
        });
    }
    Suite { name, runbook: tested.plan.runbook.id.value.clone(), cases, error: None }
}

/// `runbook run --dry-run --case FILE:NAME`: plays one case through the
/// evidence view, then says whether it passed.
pub(super) fn watch_case(spec: &str, look: crate::evidence::Look, color: Color) -> ExitCode {
    let Some((file, name)) = split_case_spec(spec) else {
        print_stderr(&format!("error: `--case {spec}` is not FILE.test.yaml:NAME\n"));
        return ExitCode::Usage;
    };
    let path = Path::new(file);
    let bytes = match read_bounded(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            print_stderr(&format!("error: cannot read `{file}`: {error}\n"));
            return ExitCode::Io;
        }
    };
    let checked = check_test_file(path, &bytes);
    let (Some(test), Some(tested), true) = (&checked.test, &checked.runbook, checked.is_runnable()) else {
        let renderer = Renderer::for_stderr(color);
        for diagnostic in checked.diagnostics.iter().filter(|d| d.level() == Level::Error) {
            print_stderr(&renderer.render(&checked.source, diagnostic));
        }
        print_stderr(&format!("error: `{file}` has errors; fix them before playing a case\n"));
        return ExitCode::InvalidRunbook;
    };
    let Some(case) = test.cases.iter().find(|case| case.name.as_str() == name) else {
        let names: Vec<&str> = test.cases.iter().map(|case| case.name.as_str()).collect();
        let hint = runbook_model::did_you_mean(name, names.iter().copied())
            .map_or_else(|| format!("its cases: {}", names.join(", ")), |close| format!("did you mean `{close}`?"));
        print_stderr(&format!("{}\n", printable_line(&format!("error: `{file}` has no case `{name}`; {hint}"))));
        return ExitCode::Usage;
    };
    super::print_stdout(&format!(
        "[case] `{}` of {file}: mocked observations on a virtual clock; nothing runs\n",
        printable_line(name)
    ));
    let mut view = crate::view::View::playing_case(look);
    let templates = compile_templates(&tested.plan, Mode::Live);
    let run = run_case(&tested.plan, &templates, &tested.path, test, case, &mut view);
    let failures = verdict(case, &run);
    if failures.is_empty() {
        print_stderr(&format!("case `{}`: ok\n", printable_line(name)));
        return ExitCode::Success;
    }
    print_stderr(&format!("case `{}`: FAIL\n", printable_line(name)));
    print_stderr(&explain(&checked.source, case, &run.trace, &failures));
    ExitCode::TestsFailed
}

/// `FILE.test.yaml:NAME` split just after the test file's name, so that a
/// case name may hold `:` (`readyz: 503`); without a `.test.yaml`, at the
/// first `:`.
fn split_case_spec(spec: &str) -> Option<(&str, &str)> {
    let lower = spec.to_ascii_lowercase();
    [".test.yaml:", ".test.yml:"]
        .iter()
        .find_map(|suffix| lower.find(suffix).map(|at| at + suffix.len() - 1))
        .map_or_else(|| spec.split_once(':'), |colon| Some((&spec[..colon], &spec[colon + 1..])))
}

/// `file:line:col: key: message`.
fn located(source: &Source, failure: &Failure) -> String {
    let (line, column) = source.line_col(failure.span.start);
    format!("{}:{line}:{column}: {}: {}", source.name(), failure.key, failure.message)
}

/// A failed expectation for JUnit: located, and for `path` or `through`
/// the expected and the actual path, which the terminal shows as a diff.
fn reported(source: &Source, case: &runbook_model::Case, failure: &Failure, actual: &[String]) -> String {
    let mut text = located(source, failure);
    let expected = match failure.key {
        "path" => case.expect.path.as_ref(),
        "through" => case.expect.through.as_ref(),
        _ => None,
    };
    if let Some(expected) = expected {
        let expected: Vec<&str> = expected.iter().map(|id| id.as_str()).collect();
        let _ = write!(text, "\n  expected: {}\n  actual:   {}", expected.join(" → "), actual.join(" → "));
    }
    text
}

/// A failed case: the path (as a diff when `expect.path` differs), each
/// step of the actual path with its outcome (and why, for an `error`: a
/// mocked duration over the probe's timeout, invalid JSON), then each
/// failed expectation at its place in the test file.
fn explain(source: &Source, case: &runbook_model::Case, trace: &Trace, failures: &[Failure]) -> String {
    let actual = &trace.path;
    let why = |step: &str| match (trace.outcomes.get(step), trace.errors.get(step)) {
        (Some(outcome), Some(error)) => format!("   ({}: {})", outcome.name(), printable_line(error)),
        (Some(outcome), None) => format!("   ({})", outcome.name()),
        (None, _) => String::new(),
    };
    let mut text = String::new();
    let expected: Option<Vec<&str>> = case.expect.path.as_ref().map(|path| path.iter().map(|id| id.as_str()).collect());
    match expected {
        Some(expected) if failures.iter().any(|failure| failure.key == "path") => {
            text.push_str("        path (- expected, + actual):\n");
            let expected = expected.join("\n") + "\n";
            let actual = actual.join("\n") + "\n";
            let diff = similar::TextDiff::from_lines(&expected, &actual);
            for change in diff.iter_all_changes() {
                let step = change.value().trim_end();
                let (sign, why) = match change.tag() {
                    similar::ChangeTag::Delete => ("- ", String::new()),
                    similar::ChangeTag::Insert => ("+ ", why(step)),
                    similar::ChangeTag::Equal => ("  ", why(step)),
                };
                let _ = writeln!(text, "          {sign}{step}{why}");
            }
        }
        _ => {
            let _ = writeln!(text, "        path: {}", actual.join(" → "));
        }
    }
    for failure in failures {
        let _ = writeln!(text, "        {}", printable_line(&located(source, failure)));
    }
    text
}
