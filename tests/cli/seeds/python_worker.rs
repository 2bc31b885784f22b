//! `python-worker-degraded.yaml` (seed 000) against a worker stand-in on
//! loopback: its health, readiness and liveness endpoints answer, fail or
//! hang as each scenario needs.

use std::io;
use std::net::TcpStream;

use super::{concluded, observation, path, record, seed, step};
use crate::http_server::{Server, Then, respond, stay_silent};
use crate::services::{Redis, free_port};

/// A worker whose three endpoints behave as `readiness` says, health and
/// liveness answering 200.
fn worker(readiness: fn(&mut TcpStream) -> io::Result<Then>) -> Server {
    Server::start(move |request, stream| match request.path.as_str() {
        "/api/v1/health/readiness" => readiness(stream),
        "/api/v1/health/" | "/api/v1/health/liveness" => respond(stream, "200 OK", &[], br#"{"status":"ok"}"#),
        _ => respond(stream, "404 Not Found", &[], b""),
    })
}

fn not_ready(stream: &mut TcpStream) -> io::Result<Then> {
    respond(
        stream,
        "503 Service Unavailable",
        &[("content-type", "application/json")],
        br#"{"status":"not_ready","redis":"missing"}"#,
    )
}

#[test]
fn readiness_hanging_while_health_answers_is_a_missing_dependency_not_a_hung_worker() {
    let server = worker(stay_silent);
    let output = seed("python-worker-degraded")
        .args(["--input", &format!("worker_port={}", server.port), "--answer", "impact=0"])
        .env("OPENAI_API_KEY", "sk-test")
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_missing_deps", "diagnosed", "high");
    assert_eq!(diagnosis, "Readiness fails because REDIS_URL is missing or empty in the worker's environment.");
    assert_eq!(path(&record), ["impact", "health_endpoints", "readiness_env", "concl_missing_deps"]);
    assert_eq!(observation(&record, "health_endpoints", Some("readiness"))["error"]["kind"], "timeout");
    assert_eq!(observation(&record, "health_endpoints", Some("health"))["status"], 200);
    assert_eq!(observation(&record, "health_endpoints", Some("liveness"))["status"], 200);
    let vars = &observation(&record, "readiness_env", None)["vars"];
    assert_eq!(vars[0]["name"], "OPENAI_API_KEY");
    assert_eq!((&vars[1]["name"], &vars[1]["set"]), (&"REDIS_URL".into(), &false.into()));
}

#[test]
fn nothing_listening_on_the_port_is_the_worker_down() {
    let (port, other) = (free_port(), free_port());
    let output = seed("python-worker-degraded")
        .args([
            "--input",
            &format!("worker_port={port}"),
            "--input",
            &format!("other_port={other}"),
            "--answer",
            "impact=2",
        ])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_worker_down", "diagnosed", "critical");
    assert!(diagnosis.contains(&format!("127.0.0.1:{port}")), "{diagnosis}");
    assert_eq!(
        path(&record),
        ["impact", "health_endpoints", "worker_listening", "worker_other_port", "concl_worker_down"]
    );
    assert_eq!(observation(&record, "health_endpoints", Some("health"))["error"]["kind"], "refused");
    assert_eq!(observation(&record, "worker_listening", None)["connected"], false);
    assert_eq!(observation(&record, "worker_other_port", None)["connected"], false);
}

#[test]
fn a_worker_on_the_other_port_is_found_there() {
    let server = worker(|stream| respond(stream, "200 OK", &[], b"{}"));
    let port = free_port();
    let output = seed("python-worker-degraded")
        .args([
            "--input",
            &format!("worker_port={port}"),
            "--input",
            &format!("other_port={}", server.port),
            "--answer",
            "impact=0",
        ])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_worker_other_port", "diagnosed", "high");
    assert!(diagnosis.ends_with(&format!("the worker runs on {}.", server.port)), "{diagnosis}");
    assert_eq!(observation(&record, "worker_other_port", None)["connected"], true);
}

#[test]
fn a_worker_that_accepts_and_never_answers_is_hung() {
    let server = Server::start(|_, stream| stay_silent(stream));
    let output = seed("python-worker-degraded")
        .args(["--input", &format!("worker_port={}", server.port), "--answer", "impact=0"])
        .args(["--answer", "worker_hung.log_finding=event loop blocked in task 42", "--answer", "worker_hung_gate=yes"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_worker_hung", "diagnosed", "critical");
    assert!(diagnosis.ends_with("event loop blocked in task 42"), "{diagnosis}");
    assert_eq!(
        path(&record),
        ["impact", "health_endpoints", "worker_listening", "worker_hung", "worker_hung_gate", "concl_worker_hung"]
    );
    assert_eq!(observation(&record, "worker_listening", None)["connected"], true);
    for probe in ["health", "readiness", "liveness"] {
        assert_eq!(observation(&record, "health_endpoints", Some(probe))["error"]["kind"], "timeout", "{probe}");
    }
}

#[test]
fn customer_visible_readiness_failure_escalates_with_the_missing_variable() {
    let server = worker(not_ready);
    let output = seed("python-worker-degraded")
        .args(["--input", &format!("worker_port={}", server.port), "--answer", "impact=12"])
        .args(["--answer", "escalate.session_ids=s-1,s-2", "--answer", "escalate.file_ids=f-9"])
        .env("REDIS_URL", "redis://cache.internal:6379/0")
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_escalated", "escalated", "high");
    assert_eq!(
        diagnosis,
        "Health: readiness fails; OPENAI_API_KEY missing or empty in the worker's environment. Customer-visible for 12 min."
    );
    assert_eq!(path(&record), ["impact", "health_endpoints", "readiness_env", "escalate", "concl_escalated"]);
    assert_eq!(observation(&record, "health_endpoints", Some("readiness"))["status"], 503);
    let message = record["conclusion"]["escalation"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Sessions: s-1,s-2; files: f-9."), "{message}");
}

#[test]
fn green_endpoints_with_call_failures_and_no_internal_token_is_the_token_missing() {
    let server = worker(|stream| respond(stream, "200 OK", &[], br#"{"status":"ready"}"#));
    let output = seed("python-worker-degraded")
        .args([
            "--input",
            &format!("worker_port={}", server.port),
            "--answer",
            "impact=0",
            "--answer",
            "symptom=call_failures",
        ])
        .status(0);
    let record = record(&output);
    concluded(&record, "concl_token_missing", "diagnosed", "high");
    assert_eq!(path(&record), ["impact", "health_endpoints", "symptom", "token_env", "concl_token_missing"]);
    assert_eq!(step(&record, "health_endpoints")["outcome"], "pass");
    assert_eq!(observation(&record, "token_env", None)["vars"][0]["set"], false);
}

/// Readiness failing (503) with both variables set, Redis running but
/// refusing the credentials in REDIS_URL: the verdict is Redis, and the URL's
/// password appears nowhere in the record.
#[test]
fn readiness_failing_with_redis_refusing_the_auth_in_redis_url_is_redis() {
    let redis = Redis::start_requiring("right-pass");
    let server = worker(not_ready);
    let output = seed("python-worker-degraded")
        .args(["--input", &format!("worker_port={}", server.port), "--answer", "impact=0"])
        .env("OPENAI_API_KEY", "sk-test")
        .env("REDIS_URL", &format!("redis://:wrong-pass@127.0.0.1:{}/0", redis.port))
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_redis_unusable", "diagnosed", "high");
    assert!(diagnosis.contains("WRONGPASS"), "{diagnosis}");
    assert_eq!(path(&record), ["impact", "health_endpoints", "readiness_env", "redis_answers", "concl_redis_unusable"]);
    assert_eq!(step(&record, "redis_answers")["outcome"], "fail");
    assert!(!record.to_string().contains("wrong-pass"), "REDIS_URL stays in the environment");
}

/// The same with Redis stopped: its port refuses, customers have waited 8
/// minutes, and the escalation names Redis.
#[test]
fn readiness_failing_with_redis_stopped_escalates_naming_redis() {
    let mut redis = Redis::start();
    redis.stop();
    let server = worker(stay_silent);
    let output = seed("python-worker-degraded")
        .args(["--input", &format!("worker_port={}", server.port), "--answer", "impact=8"])
        .args(["--answer", "escalate.session_ids=s-1", "--answer", "escalate.file_ids=f-1"])
        .env("OPENAI_API_KEY", "sk-test")
        .env("REDIS_URL", &format!("redis://127.0.0.1:{}/0", redis.port))
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_escalated", "escalated", "high");
    assert!(
        diagnosis.starts_with("Health: readiness fails; Redis at REDIS_URL does not accept the worker")
            && diagnosis.contains("Connection refused"),
        "{diagnosis}"
    );
    assert_eq!(
        path(&record),
        ["impact", "health_endpoints", "readiness_env", "redis_answers", "escalate", "concl_escalated"]
    );
}
