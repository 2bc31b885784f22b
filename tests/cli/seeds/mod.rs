//! The seed runbooks in `runbooks/` run against real services on loopback:
//! a small HTTP service per scenario (healthy, 503 with the documented JSON,
//! 429, hanging after accept, 200 with a degraded body), real nginx in front
//! of a stopped or hung backend, real redis-server stopped and started, and
//! environment variables set and unset. Commands that need Docker or systemd
//! go through inputs that point at stand-in scripts. Every test runs the
//! built binary non-interactively and asserts on `record.json`: the
//! conclusion, its severity, the path, and the evidence that led there.

mod kneo_serv;
mod python_worker;
mod scidex;
mod worker_deploy;

use serde_json::Value;

use crate::{Output, Test, workspace};

/// Each seed runbook's `NAME.test.yaml` takes every edge of its flow graph.
#[test]
fn every_seed_runbook_has_test_cases_covering_every_edge() {
    let output = Test::new().args(["test", "--min-coverage", "100", "runbooks"]).status(0);
    assert!(!output.stderr.contains("no test file"), "{}", output.stderr);
    for name in
        ["kneo-serv-incident", "python-worker-degraded", "scidex-route-502", "serotonin-stack", "worker-deploy-failure"]
    {
        assert!(output.stderr.contains(&format!("runbooks/{name}.yaml ")), "{name} not tested:\n{}", output.stderr);
    }
}

/// Every variable a seed runbook reads from its own environment: removed, so
/// that each test sets exactly the ones its scenario has.
const SEED_ENV: &[&str] = &[
    "OPENAI_API_KEY",
    "REDIS_URL",
    "RAG_ENABLED",
    "PGVECTOR_CONNECTION_STRING",
    "INTERNAL_API_TOKEN",
    "KNEO_API_KEY",
    "KNEO_DATABASE_URL",
    "SUPABASE_URL",
    "SUPABASE_SERVICE_ROLE_KEY",
    "DEFAULT_USER_ID",
    "ANTHROPIC_API_KEY",
];

/// A non-interactive run of `runbooks/NAME.yaml` in a fresh directory, its
/// record written to `rec/`.
fn seed(name: &str) -> Test {
    let runbook = workspace().join("runbooks").join(format!("{name}.yaml"));
    let mut test = Test::new().files(&[]).args(["run", "--non-interactive", "--record-dir", "rec"]).args([&runbook]);
    for variable in SEED_ENV {
        test = test.env_remove(variable);
    }
    test
}

/// `record.json` of a finished run.
fn record(output: &Output) -> Value {
    let text = std::fs::read_to_string(output.path("rec/record.json")).expect("the run wrote record.json");
    serde_json::from_str(&text).expect("record.json is JSON")
}

/// The step ids in the order they ran.
fn path(record: &Value) -> Vec<&str> {
    record["path"].as_array().expect("record.path").iter().map(|id| id.as_str().unwrap_or_default()).collect()
}

/// Asserts the run concluded with `status` and `severity` at step `last`,
/// and returns the diagnosis.
#[track_caller]
fn concluded<'a>(record: &'a Value, last: &str, status: &str, severity: &str) -> &'a str {
    assert_eq!(record["status"], "concluded", "the run did not conclude: {}", record["message"]);
    assert_eq!(path(record).last().copied(), Some(last), "path: {:?}", path(record));
    let conclusion = &record["conclusion"];
    assert_eq!((conclusion["status"].as_str(), conclusion["severity"].as_str()), (Some(status), Some(severity)));
    conclusion["diagnosis"].as_str().unwrap_or_default()
}

/// The last visit of step `id`.
#[track_caller]
fn step<'a>(record: &'a Value, id: &str) -> &'a Value {
    record["steps"]
        .as_array()
        .expect("record.steps")
        .iter()
        .rev()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("step `{id}` did not run; path: {:?}", path(record)))
}

/// The observation of probe `name` (or the only probe) in the last attempt
/// of step `id`.
#[track_caller]
fn observation<'a>(record: &'a Value, id: &str, name: Option<&str>) -> &'a Value {
    let attempts = step(record, id)["attempts"].as_array().expect("attempts");
    let probes = attempts.last().expect("an attempt")["probes"].as_array().expect("probes");
    let probe = match name {
        Some(name) => probes.iter().find(|probe| probe["name"] == name).expect("the named probe"),
        None => &probes[0],
    };
    &probe["observation"]
}
