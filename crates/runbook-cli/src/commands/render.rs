//! `runbook render`: runbooks as Markdown documents, to stdout or into a
//! directory with an index.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runbook_model::{Diagnostic, Flow, Level, Plan, Runbook, Source};

use super::{print_stderr, print_stdout};
use crate::cli::{Color, RenderArgs};
use crate::diagnostics::Renderer;
use crate::document::document;
use crate::exit_code::ExitCode;
use crate::runbook_files;
use crate::runbook_files::shown;

pub(super) fn run(args: &RenderArgs, color: Color) -> ExitCode {
    if let Err(code) = args.paths.iter().try_for_each(|path| super::not_a_test_file(path)) {
        return code;
    }
    let files = match runbook_files::expand(&args.paths) {
        // Test files found in a directory are not runbooks.
        Ok(files) => files.into_iter().filter(|file| !runbook_files::is_test_file(file)).collect::<Vec<_>>(),
        Err(error) => {
            print_stderr(&format!("error: cannot list runbooks: {error}\n"));
            return ExitCode::Io;
        }
    };
    if files.is_empty() {
        let paths: Vec<String> = args.paths.iter().map(|path| format!("`{}`", shown(path))).collect();
        print_stderr(&format!(
            "error: no runbook found in {} (a runbook is a regular file ending in `.yaml` or `.yml`, not a test \
             file)\n",
            paths.join(", ")
        ));
        return ExitCode::Usage;
    }
    // `-o -` is stdout, as for `graph` and `new`.
    let Some(output) = args.output.as_ref().filter(|output| output.as_os_str() != "-") else {
        let [file] = files.as_slice() else {
            print_stderr(&format!(
                "error: {} runbooks found; give `--output DIR` to render several (one document each, and an \
                 index)\n",
                files.len()
            ));
            return ExitCode::Usage;
        };
        return match load(file, color, false) {
            Ok(loaded) => print_stdout(&documented(file, &loaded, &HashMap::new(), Path::new("."))),
            Err(code) => code,
        };
    };
    if output.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("md")) {
        return render_one_into(output, &files, color);
    }
    if output.exists() && !output.is_dir() {
        print_stderr(&format!(
            "error: `--output {}` is a file; it names a directory (one document per runbook and an index.md), \
             or, for one runbook, a file ending in `.md`\n",
            shown(output)
        ));
        return ExitCode::Usage;
    }
    if !output.exists() && std::fs::symlink_metadata(output).is_ok() {
        print_stderr(&format!(
            "error: cannot create `{}`: it is a symbolic link to nothing (remove it first)\n",
            shown(output)
        ));
        return ExitCode::Io;
    }
    if let Err(error) = std::fs::create_dir_all(output) {
        print_stderr(&format!("error: cannot create `{}`: {error}\n", shown(output)));
        return ExitCode::Io;
    }
    let mut loaded = Vec::new();
    let mut status = ExitCode::Success;
    for file in &files {
        match load(file, color, false) {
            Ok(runbook) => loaded.push((file, runbook)),
            Err(code) => status = worse(status, code),
        }
    }
    // One document per id: a second runbook with an id already taken, or
    // one whose id is `index`, would overwrite a document without a word.
    let mut ids: HashMap<&str, &PathBuf> = HashMap::new();
    for (file, Loaded { runbook, .. }) in &loaded {
        let id = runbook.id.value.as_str();
        let clash = match ids.insert(id, file) {
            _ if id == "index" => Some(format!(
                "`{}` has the id `index`, and `index.md` is the list of documents: give the runbook another id",
                shown(file)
            )),
            Some(first) => Some(format!(
                "`{}` and `{}` both have the id `{id}`, so both documents would be `{id}.md`: render them into \
                 different directories, or give one another id",
                shown(first),
                shown(file)
            )),
            None => None,
        };
        if let Some(message) = clash {
            print_stderr(&format!("error: {message}\n"));
            return ExitCode::Usage;
        }
    }
    // A `call` links to its callee's document when the callee is rendered too.
    let documents: HashMap<PathBuf, String> = loaded
        .iter()
        .filter_map(|(file, loaded)| Some((file.canonicalize().ok()?, format!("{}.md", loaded.runbook.id.value))))
        .collect();
    let mut rendered = Vec::new();
    for (file, loaded) in loaded {
        let name = format!("{}.md", loaded.runbook.id.value);
        if let Err(code) = write(&output.join(&name), &documented(file, &loaded, &documents, output)) {
            return code;
        }
        rendered.push((name, loaded.runbook));
    }
    // An index of nothing (every runbook had errors) would hide the failure
    // behind a file that looks like a result.
    if rendered.is_empty() {
        print_stderr(&format!("rendered no runbook into {}: each has errors\n", shown(output)));
        return status;
    }
    if let Err(code) = write(&output.join("index.md"), &index(&rendered)) {
        return code;
    }
    let runbooks = if rendered.len() == 1 { "1 runbook".to_owned() } else { format!("{} runbooks", rendered.len()) };
    print_stderr(&format!("rendered {runbooks} into {}\n", shown(output)));
    status
}

/// `runbook`'s document, with a warning on stderr when its map is too
/// large for Mermaid's renderers, as `graph` gives.
fn documented(file: &Path, loaded: &Loaded, documents: &HashMap<PathBuf, String>, directory: &Path) -> String {
    let (text, warning) = document(&loaded.runbook, &loaded.source, &loaded.flow, documents, directory);
    if let Some(warning) = warning {
        print_stderr(&format!("warning: the map in `{}`'s document: {warning} with `runbook graph`\n", shown(file)));
    }
    text
}

/// A runbook read to draw or render.
pub(super) struct Loaded {
    pub(super) source: Source,
    pub(super) runbook: Runbook,
    /// Where each step can lead: the plan's, in which a `call` step ends
    /// only in what its callee can give (as `check`, `run` and coverage
    /// see it); without a plan (a runbook with errors), as written.
    pub(super) flow: Flow,
    /// Whether it has errors (drawn anyway by `graph`).
    pub(super) has_errors: bool,
}

/// Reads a runbook to draw or render, with the loader `check` and `run`
/// use: its `call`s are followed, so a missing or broken called runbook
/// or a cycle of calls is an error here too. Errors are shown as `runbook
/// check` shows them (a broken callee's in full, with the chain of calls
/// that reaches it); a runbook with errors is refused unless
/// `allow_errors` (a graph can still show an unknown step, as a dashed
/// node), and one that does not load at all always is.
pub(super) fn load(path: &Path, color: Color, allow_errors: bool) -> Result<Loaded, ExitCode> {
    super::not_a_test_file(path)?;
    if std::fs::metadata(path).is_ok_and(|metadata| !metadata.is_file() && !metadata.is_dir()) {
        print_stderr(&format!(
            "error: cannot read `{}`: it is not a regular file (a FIFO, a socket or a device)\n",
            shown(path)
        ));
        return Err(ExitCode::Io);
    }
    let bytes = crate::test_files::read_bounded(path).map_err(|error| {
        print_stderr(&format!("error: cannot read `{}`: {error}\n", shown(path)));
        ExitCode::Io
    })?;
    let checked = match Plan::load(path, &bytes) {
        Ok(plan) => {
            return Ok(Loaded { source: plan.source, runbook: plan.runbook, flow: plan.flow, has_errors: false });
        }
        Err(checked) => *checked,
    };
    let errors: Vec<Diagnostic> = checked.diagnostics.into_iter().filter(|d| d.level() == Level::Error).collect();
    print_stderr(&Renderer::for_stderr(color).render_file(&checked.source, &errors, &checked.invalid_callees));
    match checked.runbook {
        Some(runbook) if errors.is_empty() || allow_errors => Ok(Loaded {
            source: checked.source,
            flow: checked.flow.unwrap_or_else(|| Flow::new(&runbook)),
            runbook,
            has_errors: !errors.is_empty(),
        }),
        _ => {
            print_stderr(&format!("error: `{}` has errors; fix them first\n", shown(path)));
            Err(ExitCode::InvalidRunbook)
        }
    }
}

/// `render FILE -o NAME.md`: the one runbook's document into that file, as
/// `graph -o` and `new -o` write one file (a name ending in `.md` is a
/// document, not a directory).
fn render_one_into(output: &PathBuf, files: &[PathBuf], color: Color) -> ExitCode {
    let [file] = files else {
        print_stderr(&format!(
            "error: {} runbooks found, and `--output {}` names one document: give a directory for several\n",
            files.len(),
            shown(output)
        ));
        return ExitCode::Usage;
    };
    let loaded = match load(file, color, false) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    match write(output, &documented(file, &loaded, &HashMap::new(), crate::document::directory_of(output))) {
        Ok(()) => {
            print_stderr(&format!("rendered {} into {}\n", shown(file), shown(output)));
            ExitCode::Success
        }
        Err(code) => code,
    }
}

/// Writes a rendered file, never through a symbolic link: in a shared
/// output directory, a link planted under a runbook's name would make
/// `render` (or `graph -o`) overwrite the file it points to.
pub(super) fn write(path: &Path, text: &str) -> Result<(), ExitCode> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    written.map_err(|error| {
        let why = if error.raw_os_error() == Some(nix::libc::ELOOP) {
            "it is a symbolic link (remove it first)".to_owned()
        } else {
            error.to_string()
        };
        print_stderr(&format!("error: cannot write `{}`: {why}\n", shown(path)));
        ExitCode::Io
    })
}

/// `index.md`: one line per runbook, with its summary.
fn index(rendered: &[(String, Runbook)]) -> String {
    let mut out = String::from(
        "# Runbooks\n\nRendered by `runbook render`; each is also runnable with `runbook run`.\n\n| Runbook | What \
         it answers |\n|---|---|\n",
    );
    for (name, runbook) in rendered {
        let summary = crate::document::in_cell(&crate::document::authored(runbook.summary.as_deref().unwrap_or("")));
        let title = runbook_engine::record::markdown_text(runbook.title.value.trim());
        let _ = writeln!(out, "| [{title}]({name}) | {summary} |");
    }
    runbook_engine::printable::printable_lines(&out).into_owned()
}

/// Of two failures, the one to exit with: an invalid runbook over an I/O
/// error, as `check` does.
fn worse(current: ExitCode, new: ExitCode) -> ExitCode {
    if current == ExitCode::InvalidRunbook { current } else { new }
}
