//! Every runbook shipped in examples/ and runbooks/ checks clean, and
//! starts with the schema comment editors complete from.

use crate::{Test, workspace};

fn shipped_runbooks() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in ["examples", "runbooks"] {
        for entry in std::fs::read_dir(workspace().join(dir)).expect("folder exists") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if path.extension().is_some_and(|ext| ext == "yaml") && !name.contains(".test.") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn examples_and_runbooks_check_clean() {
    let output = Test::new().args(["check", "--deny-warnings", "--format", "json", "examples", "runbooks"]).status(0);
    let report: serde_json::Value = output.json();
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0, "{}", output.stdout);
    assert!(report["summary"]["files"].as_u64().unwrap_or(0) >= 20);
}

#[test]
fn the_five_seed_runbooks_exist() {
    let names: Vec<String> = shipped_runbooks()
        .iter()
        .filter(|path| path.parent().is_some_and(|p| p.ends_with("runbooks")))
        .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
}

#[test]
fn every_runbook_names_the_schema() {
    for path in shipped_runbooks() {
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/runbook.schema.json\n"),
            "{} lacks the schema comment on its first line",
            path.display()
        );
    }
}

#[test]
fn quickstart_uses_every_kind_of_probe_and_interaction() {
    let text = std::fs::read_to_string(workspace().join("examples/quickstart.yaml")).expect("quickstart exists");
    for key in ["env:", "cmd:", "tcp:", "http:", "ask:", "instruct:", "action:", "conclude:"] {
        assert!(text.contains(key), "quickstart lacks `{key}`");
    }
}

pub(crate) fn yaml_files() -> Vec<std::path::PathBuf> {
    shipped_runbooks()
}

/// Dry-runs `path` with every check that can give it assumed `outcome`,
/// answering each question with its `pick`-th choice (or a value it
/// accepts) until the run ends; returns the exit status and the events of
/// the last run.
fn dry_run_to_the_end(path: &std::path::Path, outcome: &str, pick: usize) -> (i32, Vec<serde_json::Value>) {
    let runbook: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checks: Vec<String> = runbook["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step.get("check").is_some())
        .filter_map(|step| step["id"].as_str().map(str::to_owned))
        .collect();
    let mut answers: Vec<String> = Vec::new();
    for _ in 0..60 {
        let mut args = vec!["run".to_owned(), path.display().to_string()];
        args.extend(["--dry-run", "--non-interactive", "--yes", "--no-record", "--format", "json"].map(String::from));
        for id in &checks {
            args.extend(["--assume".to_owned(), format!("{id}={outcome}")]);
        }
        for answer in &answers {
            args.extend(["--answer".to_owned(), answer.clone()]);
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_runbook")).args(&args).output().unwrap();
        let code = output.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A check that never gives `outcome` (a `tcp` check never errs, one
        // without expectations never fails) is refused: keep its default.
        let never = checks.iter().position(|id| stderr.contains(&format!("step `{id}` never gives `{outcome}`")));
        if let (2, Some(index)) = (code, never) {
            checks.remove(index);
            continue;
        }
        assert_ne!(code, 2, "{}: {stderr}", path.display());
        let events: Vec<serde_json::Value> =
            String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let waiting = events.last().is_some_and(|e| e["status"] == "waiting");
        let question = events.iter().rev().find(|e| e["event"] == "question");
        match (code, question) {
            (5, Some(question)) if waiting => {
                let choices = question["choices"].as_array().cloned().unwrap_or_default();
                let answer = match (choices.is_empty(), question["kind"].as_str()) {
                    (false, _) => choices[pick.min(choices.len() - 1)].as_str().unwrap_or_default().to_owned(),
                    (true, Some("number")) => "1".to_owned(),
                    (true, _) => text_answer(&runbook, question["step"].as_str().unwrap_or_default()),
                };
                answers.push(format!("{}={answer}", question["step"].as_str().unwrap_or_default()));
            }
            _ => return (code, events),
        }
    }
    panic!("{}: more than 60 questions", path.display());
}

/// A text answer the question's `pattern` accepts.
fn text_answer(runbook: &serde_json::Value, step: &str) -> String {
    let ask = runbook["steps"].as_array().unwrap().iter().find(|s| s["id"] == step).map(|s| &s["ask"]);
    let pattern = ask.and_then(|ask| ask["pattern"].as_str()).unwrap_or(".*");
    let whole = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
    let candidates = ["run-123", "http://127.0.0.1:1", "0123456789abcdef0123456789abcdef", "a", "1"];
    candidates
        .into_iter()
        .find(|c| whole.is_match(c))
        .unwrap_or_else(|| panic!("no test answer matches `{pattern}`"))
        .to_owned()
}

/// Every seed runbook, on every path its first choices and assumed
/// outcomes lead to, renders all its templates and reaches its end: no
/// unknown filter or undefined name waits for a real incident.
#[test]
fn every_seed_runbook_dry_runs_to_a_conclusion_on_many_paths() {
    let runbooks: Vec<_> =
        shipped_runbooks().into_iter().filter(|p| p.parent().is_some_and(|d| d.ends_with("runbooks"))).collect();
    for path in runbooks {
        for outcome in ["pass", "fail", "error"] {
            for pick in 0..3 {
                let (code, events) = dry_run_to_the_end(&path, outcome, pick);
                let last = events.last().cloned().unwrap_or_default();
                assert_eq!(code, 0, "{} ({outcome}, choice {pick}): {last}", path.display());
                assert!(matches!(last["status"].as_str(), Some("concluded" | "ended")), "{}: {last}", path.display());
            }
        }
    }
}

#[test]
fn every_example_has_test_cases_covering_every_edge() {
    let output = Test::new().args(["test", "--min-coverage", "100", "examples"]).status(0);
    assert!(!output.stderr.contains("no test file"), "{}", output.stderr);
    assert!(!output.stderr.contains("FAIL"), "{}", output.stderr);
}

/// review-12-user7 L6: every relative link of the shipped runbooks, and of
/// their rendered documents, leads to a file of the repository (a link to
/// a file that is not here is a 404 on GitHub and for every reader).
#[test]
fn the_shipped_runbooks_and_their_documents_link_only_to_files_that_exist() {
    let root = crate::workspace();
    let mut dangling = Vec::new();
    for (dir, extension) in [("runbooks", "yaml"), ("docs/runbooks", "md"), ("examples", "yaml")] {
        let dir = root.join(dir);
        for entry in std::fs::read_dir(&dir).expect("the directory") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|e| e != extension) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a text");
            let targets: Vec<&str> = if extension == "md" {
                text.split("](").skip(1).filter_map(|rest| rest.split(')').next()).collect()
            } else {
                text.split("url: \"").skip(1).filter_map(|rest| rest.split('"').next()).collect()
            };
            for target in targets {
                let target = target.trim_start_matches('<').trim_end_matches('>');
                let file = target.split(['#', '?']).next().unwrap_or_default();
                let relative = !file.is_empty() && !target.contains(':') && !target.contains("{{");
                if relative && !path.parent().expect("a directory").join(file).exists() {
                    dangling.push(format!("{}: {target}", path.display()));
                }
            }
        }
    }
    assert!(dangling.is_empty(), "links to files that are not in the repository:\n{}", dangling.join("\n"));
}
