//! Runs on the virtual clock with mocked probes: the two injection points
//! `runbook test` builds on. The runtime has no timer, so a real sleep
//! anywhere in the interpreter would panic instead of passing slowly.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use runbook_engine::clock::VirtualClock;
use runbook_engine::event::{Event, RunStatus};
use runbook_engine::inputs::{GivenInputs, resolve};
use runbook_engine::interpret::{Mode, Options, RunReport, Services, compile_templates, run};
use runbook_engine::operator::Scripted;
use runbook_engine::probe::{
    Captured, ErrorKind, HttpObservation, Limits, Observation, ProbeCall, ProbeError, ProbeRunFuture, ProbeRunner,
};
use runbook_engine::record::{Entry, JOURNAL_FILE, Journal, read};
use runbook_model::Outcome;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// 2026-11-23T11:36:40.000Z, where the virtual clock starts.
const ORIGIN_MS: u64 = 1_795_433_800_000;

/// One probe call as the runner saw it, at its virtual time.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    at: Duration,
    step: String,
    name: Option<String>,
    item: Option<Value>,
    attempt: u32,
    /// Kind and target.
    probe: String,
}

/// Answers every probe with an HTTP status chosen by the attempt, and keeps
/// the calls it saw with the virtual time of each.
struct Statuses {
    clock: VirtualClock,
    status: fn(&ProbeCall) -> Result<u16, ProbeError>,
    seen: Mutex<Vec<Seen>>,
}

impl ProbeRunner for Statuses {
    fn run<'a>(&'a self, call: &'a ProbeCall, _: &'a Limits, _: &'a CancellationToken) -> ProbeRunFuture<'a> {
        let seen = Seen {
            at: self.clock.elapsed(),
            step: call.step.clone(),
            name: call.name.clone(),
            item: call.item.clone(),
            attempt: call.attempt,
            probe: format!("{} {}", call.kind.name(), call.target),
        };
        self.seen.lock().unwrap().push(seen);
        let status = (self.status)(call);
        Box::pin(async move {
            let status = status?;
            Ok(Observation::Http(HttpObservation {
                status: Some(status),
                headers: Vec::new(),
                body: Captured::new(),
                final_url: None,
                duration: Duration::from_millis(3),
                error: None,
                insecure: false,
                proxy: None,
                redirects: Vec::new(),
                tls: None,
                timing: None,
            }))
        })
    }
}

/// Runs `yaml` to its end on a virtual clock, journalling into a temporary
/// directory; returns the report, the journal and the probe calls.
fn run_virtual(yaml: &str, status: fn(&ProbeCall) -> Result<u16, ProbeError>) -> (RunReport, Vec<Entry>, Vec<Seen>) {
    let checked = runbook_model::check_bytes("virtual.yaml", yaml.as_bytes());
    let plan = runbook_model::Plan::new(checked).unwrap_or_else(|checked| panic!("{:?}", checked.diagnostics));
    let inputs = resolve(&plan.runbook, &GivenInputs::default(), &|_| None, None).unwrap();
    let clock = VirtualClock::new(UNIX_EPOCH + Duration::from_millis(ORIGIN_MS));
    let probes = Arc::new(Statuses { clock: clock.clone(), status, seen: Mutex::new(Vec::new()) });
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::create(dir.path(), Arc::new(clock.clone())).unwrap();
    let mut operator = Scripted::default();
    // No `enable_time`: only the virtual clock may wait.
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let report = runtime.block_on(run(
        &plan,
        &compile_templates(&plan, Mode::Live),
        std::path::Path::new("virtual.yaml"),
        &inputs,
        &Options::default(),
        Services {
            operator: &mut operator,
            sink: &mut journal,
            clock: &clock,
            probes: Arc::clone(&probes) as Arc<dyn ProbeRunner>,
            cancel: CancellationToken::new(),
        },
    ));
    drop(journal);
    let entries = read(&dir.path().join(JOURNAL_FILE)).unwrap();
    let seen = std::mem::take(&mut *probes.seen.lock().unwrap());
    (report, entries, seen)
}

fn at(seconds: u64) -> String {
    runbook_engine::clock::rfc3339(UNIX_EPOCH + Duration::from_millis(ORIGIN_MS) + Duration::from_secs(seconds))
}

/// `(at, attempt, outcome)` of each finished attempt in the journal.
fn attempts(entries: &[Entry]) -> Vec<(String, u32, Outcome)> {
    entries
        .iter()
        .filter_map(|entry| match &entry.event {
            Event::AttemptFinished { attempt, outcome, .. } => Some((entry.at.to_string(), *attempt, *outcome)),
            _ => None,
        })
        .collect()
}

const POLLING: &str = r#"
id: polling
title: Polls for minutes
steps:
  - id: wait_ready
    check:
      http: { url: "http://127.0.0.1:9/healthz" }
      expect: [ { status: 200 } ]
    retry: { attempts: 5, interval: 30s, backoff: 2, max_interval: 10m }
    on: { pass: up, fail: down, error: down, warn: down }
  - id: up
    conclude: { status: resolved, diagnosis: up }
  - id: down
    conclude: { status: diagnosed, diagnosis: down }
"#;

#[test]
fn a_long_backoff_runs_at_once_on_virtual_time() {
    let (report, entries, seen) = run_virtual(POLLING, |call| Ok(if call.attempt < 4 { 503 } else { 200 }));
    assert_eq!(report.status, RunStatus::Concluded);
    assert_eq!(report.conclusion.unwrap().diagnosis.as_deref(), Some("up"));
    // Waits of 30s, 60s and 120s between the four attempts.
    assert_eq!(
        attempts(&entries),
        [
            (at(0), 1, Outcome::Fail),
            (at(30), 2, Outcome::Fail),
            (at(90), 3, Outcome::Fail),
            (at(210), 4, Outcome::Pass)
        ]
    );
    let calls: Vec<(u64, u32)> = seen.iter().map(|seen| (seen.at.as_secs(), seen.attempt)).collect();
    assert_eq!(calls, [(0, 1), (30, 2), (90, 3), (210, 4)]);
    assert_eq!(seen[0].step, "wait_ready");
    assert_eq!(seen[0].probe, "http GET http://127.0.0.1:9/healthz");
    let Event::RunStarted(info) = &entries[0].event else { panic!("{:?}", entries[0]) };
    assert_eq!((info.started_at.as_str(), entries[0].at.as_str()), (at(0).as_str(), at(0).as_str()));
    let last = entries.last().unwrap();
    let Event::RunFinished { duration_ms, .. } = &last.event else { panic!("{last:?}") };
    assert_eq!((last.at.as_str(), *duration_ms), (at(210).as_str(), 210_000));
}

#[test]
fn a_step_timeout_cuts_a_backoff_short_at_its_virtual_time() {
    let yaml = POLLING.replace("    retry:", "    timeout: 100s\n    retry:");
    let (report, entries, seen) = run_virtual(&yaml, |_| Ok(503));
    assert_eq!(report.conclusion.unwrap().diagnosis.as_deref(), Some("down"));
    // The wait after attempt 3 would end at 210s; the timeout at 100s comes
    // first.
    assert_eq!(seen.iter().map(|s| s.at.as_secs()).collect::<Vec<_>>(), [0, 30, 90]);
    let finished = entries.iter().find(|e| matches!(e.event, Event::StepFinished { .. })).unwrap();
    let Event::StepFinished { outcome, error, duration_ms, .. } = &finished.event else { unreachable!() };
    assert_eq!(finished.at.as_str(), at(100));
    assert_eq!(
        (*outcome, error.as_ref().map(|e| e.kind), *duration_ms),
        (Some(Outcome::Error), Some(ErrorKind::Timeout), 100_000)
    );
}

#[test]
fn virtual_time_stops_at_its_horizon_instead_of_overflowing() {
    // `check` accepts 1000 attempts and a backoff of 10: the waits pass
    // `Duration::MAX` long before the last attempt.
    let yaml = POLLING.replace(
        "attempts: 5, interval: 30s, backoff: 2, max_interval: 10m",
        "attempts: 1000, interval: 1s, backoff: 10",
    );
    let (report, _, seen) = run_virtual(&yaml, |_| Ok(503));
    assert_eq!(report.status, RunStatus::Concluded);
    assert_eq!(report.conclusion.unwrap().diagnosis.as_deref(), Some("down"));
    let at: Vec<Duration> = seen.iter().map(|seen| seen.at).collect();
    assert_eq!(at.len(), 1000);
    assert_eq!(at[..3], [Duration::ZERO, Duration::from_secs(1), Duration::from_secs(11)]);
    assert_eq!(at[999], runbook_engine::clock::VIRTUAL_HORIZON);
}

#[test]
fn the_runner_sees_which_probe_of_which_step_it_runs() {
    let yaml = r#"
id: shapes
title: Every way a step lays out probes
inputs:
  hosts: { type: list, default: [a, b] }
steps:
  - id: each
    check:
      foreach: "{{ inputs.hosts }}"
      http: { url: "http://{{ item }}.test/healthz" }
      expect: [ { status: 200 } ]
  - id: group
    check:
      probes:
        api: { http: { url: "http://api.test/" }, expect: [ { status: 200 } ] }
        web: { http: { url: "http://web.test/" }, expect: [ { status: 200 } ] }
    on: { pass: ok, fail: broken, warn: broken, error: broken }
  - id: ok
    conclude: { status: resolved }
  - id: broken
    conclude: { status: diagnosed }
"#;
    let (report, entries, seen) = run_virtual(yaml, |call| match call.name.as_deref() {
        Some("web") => Err(ProbeError::new(ErrorKind::Refused, "connection refused")),
        _ => Ok(200),
    });
    let mut calls = seen;
    calls.sort_by(|a, b| a.probe.cmp(&b.probe));
    let seen = |step: &str, name: Option<&str>, item: Option<&str>, url: &str| Seen {
        at: Duration::ZERO,
        step: step.into(),
        name: name.map(Into::into),
        item: item.map(Value::from),
        attempt: 1,
        probe: format!("http GET {url}"),
    };
    assert_eq!(
        calls,
        [
            seen("each", None, Some("a"), "http://a.test/healthz"),
            seen("group", Some("api"), None, "http://api.test/"),
            seen("each", None, Some("b"), "http://b.test/healthz"),
            seen("group", Some("web"), None, "http://web.test/"),
        ]
    );
    // A probe error from the runner is the step's `error` outcome.
    assert_eq!(report.conclusion.unwrap().status, runbook_model::ConclusionStatus::Diagnosed);
    let web = entries
        .iter()
        .find_map(|entry| match &entry.event {
            Event::Probe { part, .. } if part.name.as_deref() == Some("web") => Some(part),
            _ => None,
        })
        .unwrap();
    assert_eq!((web.outcome, web.error.as_ref().map(|e| e.kind)), (Outcome::Error, Some(ErrorKind::Refused)));
}
