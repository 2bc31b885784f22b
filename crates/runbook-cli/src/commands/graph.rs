//! `runbook graph`: the triage tree as Mermaid, Graphviz DOT or SVG,
//! optionally with the path a recorded run took.

use std::path::Path;

use runbook_engine::diagram::{Diagram, Trace, dot, graph, mermaid};
use runbook_engine::event::{Graph, GraphEdge};
use runbook_model::Runbook;

use super::render::Loaded;
use super::{print_stderr, print_stdout};
use crate::cli::{Color, GraphArgs, GraphFormat};
use crate::exit_code::ExitCode;

pub(super) fn run(args: &GraphArgs, color: Color) -> ExitCode {
    let Loaded { runbook, flow, has_errors, .. } = match super::render::load(&args.path, color, true) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let drawn = graph(&runbook, &flow);
    let trace = match &args.record {
        Some(dir) => match trace(dir, &args.path, &runbook, &drawn) {
            Ok(trace) => Some(trace),
            Err(message) => {
                print_stderr(&format!("error: {message}\n"));
                return ExitCode::Io;
            }
        },
        None => None,
    };
    let diagram = Diagram::new(&drawn, trace.as_ref());
    if let Some(left_out) = diagram.left_out() {
        let check = format!("runbook check {}", args.path.display());
        print_stderr(&format!("note: not drawn: {left_out} (`{check}` says why)\n"));
    }
    let text = match args.format {
        GraphFormat::Mermaid => {
            let (text, size) = mermaid(&diagram);
            if let Some(warning) = size.warning() {
                print_stderr(&format!("warning: {warning}\n"));
            }
            text
        }
        GraphFormat::Dot => dot(&diagram),
        GraphFormat::Svg => match svg(&dot(&diagram), args.timeout.0, &diagram) {
            Ok(svg) => svg,
            Err(message) => {
                print_stderr(&format!("error: {message}\n"));
                return ExitCode::Io;
            }
        },
    };
    let written = match &args.output {
        // `-` is stdout, as for `new -o -`.
        Some(path) if path.as_os_str() != "-" => match super::render::write(path, &text) {
            Ok(()) => ExitCode::Success,
            Err(code) => code,
        },
        _ => print_stdout(&text),
    };
    // Drawn, to show where it is wrong, but not a success: a docs build
    // that draws a runbook with errors fails.
    if has_errors && written == ExitCode::Success { ExitCode::InvalidRunbook } else { written }
}

/// The steps and transitions of the run recorded in `dir`, read from its
/// journal (so a run that was killed before writing `record.json` works).
/// Each transition is an edge of the text it ran under: the run's, or the
/// changed text a `resume --allow-changed` went on with, which the record
/// keeps. One taken under the text drawn keeps its edge; one taken under
/// another text is matched to the runbook as it is now by its steps and
/// its label (an edge's id is its place in a `when` chain, which an edit
/// moves), and one that no longer exists is left out, and said. A
/// runbook edited since the text the run last went on with is drawn with
/// a warning.
fn trace(dir: &Path, path: &Path, runbook: &Runbook, drawn: &Graph) -> Result<Trace, String> {
    let journal = dir.join(runbook_engine::record::JOURNAL_FILE);
    let entries = runbook_engine::record::read(&journal)
        .map_err(|error| format!("cannot read the run's journal `{}`: {error}", journal.display()))?;
    let record = runbook_engine::record::Record::from_journal(entries);
    let Some(run) = record.run.as_ref() else {
        return Err(format!("`{}` holds no run: its journal has no `run_started`", journal.display()));
    };
    if run.runbook != runbook.id.value {
        return Err(format!(
            "`{}` records a run of runbook `{}`, not of `{}`",
            dir.display(),
            run.runbook,
            runbook.id.value
        ));
    }
    // Each text the run ran under, with the first step run under it.
    let texts: Vec<(usize, &str, &Graph)> = std::iter::once((0, run.sha256.as_str(), &run.graph))
        .chain(
            record
                .resumptions
                .iter()
                .filter_map(|resumed| resumed.text.as_ref())
                .map(|text| (text.steps_before, text.sha256.as_str(), &text.graph)),
        )
        .collect();
    let now = std::fs::read(path).map(|bytes| runbook_model::sha256_hex(&bytes)).unwrap_or_default();
    let same =
        |then: &GraphEdge, now: &GraphEdge| (&then.from, &then.to, &then.label) == (&now.from, &now.to, &now.label);
    let mut taken = 0;
    let edges: Vec<String> = record
        .steps
        .iter()
        .enumerate()
        .filter_map(|(index, step)| {
            let edge = &step.next.as_ref()?.edge;
            taken += 1;
            let (_, sha256, graph) = texts.iter().rev().find(|(first, ..)| *first <= index)?;
            if *sha256 == now {
                return Some(edge.clone());
            }
            let then = graph.edges.iter().find(|then| then.id == *edge)?;
            drawn.edges.iter().find(|now| same(then, now)).map(|now| now.id.clone())
        })
        .collect();
    let gone = match taken - edges.len() {
        0 => String::new(),
        1 => "; 1 transition it took no longer exists and is not drawn".to_owned(),
        n => format!("; {n} transitions it took no longer exist and are not drawn"),
    };
    let last = texts.last().map_or("", |(_, sha256, _)| *sha256);
    if now != last {
        print_stderr(&format!(
            "warning: `{}` changed since the run recorded in `{}` (its SHA-256 differs): the path is drawn on the \
             runbook as it is now, each transition matched by its steps and label{gone}\n",
            path.display(),
            dir.display()
        ));
    } else if !gone.is_empty() {
        print_stderr(&format!(
            "warning: the run recorded in `{}` went on with a changed text (`runbook resume --allow-changed`): \
             each transition taken under the earlier text is matched by its steps and label{gone}\n",
            dir.display()
        ));
    }
    Ok(Trace { visited: record.path.clone(), edges })
}

/// Runs Graphviz's `dot -Tsvg` over `dot_text`, stopped after `timeout`
/// (a hub of hundreds of edges can keep it laying out for many minutes).
fn svg(dot_text: &str, timeout: std::time::Duration, diagram: &Diagram) -> Result<String, String> {
    use std::io::{Read as _, Write as _};
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => "`--format svg` needs Graphviz's `dot` on PATH, and there is none: \
                                             install Graphviz (`apt install graphviz`, `brew install graphviz`), \
                                             or write `--format dot` and render it elsewhere"
                .to_owned(),
            _ => format!("cannot start Graphviz's `dot`: {error}"),
        })?;
    let mut stdin = child.stdin.take().ok_or("cannot write to `dot`")?;
    let input = dot_text.to_owned();
    // Written from a thread: `dot` may fill its output pipe before it has
    // read all its input.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    // Read from threads too: a `dot` blocked on a full pipe never ends.
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.map(|mut pipe| pipe.read_to_end(&mut bytes)).transpose().map(|_| bytes)
        })
    };
    let stdout = read(child.stdout.take().map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>));
    let stderr = read(child.stderr.take().map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>));
    let deadline = std::time::Instant::now() + timeout;
    while child.try_wait().map_err(|error| format!("Graphviz's `dot` failed: {error}"))?.is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "Graphviz's `dot` did not lay out the graph ({} nodes, {} edges) within {}; it was stopped. Give it \
                 longer with `--timeout 10m`, or write `--format dot` and render it elsewhere",
                diagram.nodes.len(),
                diagram.links.len(),
                runbook_model::Duration(timeout)
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = child.wait().map_err(|error| format!("Graphviz's `dot` failed: {error}"))?;
    let joined = |reader: std::thread::JoinHandle<std::io::Result<Vec<u8>>>| {
        reader
            .join()
            .map_err(|_| "cannot read from `dot`".to_owned())?
            .map_err(|error| format!("cannot read from `dot`: {error}"))
    };
    let (stdout, stderr) = (joined(stdout)?, joined(stderr)?);
    let written = writer.join().map_err(|_| "cannot write to `dot`".to_owned())?;
    if !status.success() {
        return Err(format!("Graphviz's `dot` failed ({status}): {}", String::from_utf8_lossy(&stderr).trim()));
    }
    written.map_err(|error| format!("cannot write to `dot`: {error}"))?;
    String::from_utf8(stdout).map_err(|_| "Graphviz's `dot` wrote something that is not UTF-8".to_owned())
}
