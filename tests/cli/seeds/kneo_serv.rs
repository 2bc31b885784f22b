//! `kneo-serv-incident.yaml` (seed 002) against a kneo-serv stand-in on
//! loopback, directly or behind a real nginx.

use super::{concluded, observation, path, record, seed, step};
use crate::http_server::{Server, respond, stay_silent};
use crate::services::{Nginx, free_port};

/// The documented /readyz failure: 503 with `metadata.checks`, each failed
/// check carrying its exception class and message.
const NOT_READY: &[u8] = br#"{"error": "not_ready", "metadata": {"checks": {
    "api": {"ok": true}, "continuation_store": {"ok": true}, "queue": {"ok": true},
    "run_state_store": {"ok": false, "error": "OperationalError", "message": "could not connect to server: Connection refused"},
    "runtime_registry": {"ok": true, "count": 2}, "tool_registry": {"ok": true, "count": 9},
    "providers": {"ok": true}, "mcp": {"ok": true}}}}"#;

/// A service whose probes are green and whose /v1 routes answer `v1_status`.
fn green_service(v1_status: &'static str) -> Server {
    Server::start(move |request, stream| match request.path.as_str() {
        "/healthz" | "/readyz" => respond(stream, "200 OK", &[], br#"{"status":"ok"}"#),
        _ => respond(stream, v1_status, &[], br#"{"error":"unauthorized"}"#),
    })
}

#[test]
fn readyz_503_with_the_documented_payload_names_the_failing_check() {
    let server = Server::start(|request, stream| match request.path.as_str() {
        "/readyz" => respond(stream, "503 Service Unavailable", &[("content-type", "application/json")], NOT_READY),
        _ => respond(stream, "200 OK", &[], br#"{"status":"ok"}"#),
    });
    let output = seed("kneo-serv-incident").args(["--input", &format!("base_url={}", server.url(""))]).status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_run_state_store", "diagnosed", "critical");
    assert!(diagnosis.contains(r#""error": "OperationalError""#), "{diagnosis}");
    assert_eq!(path(&record), ["healthz", "readyz", "concl_run_state_store"]);
    assert_eq!(observation(&record, "readyz", None)["status"], 503);
}

#[test]
fn a_401_without_an_api_key_is_not_read_as_auth_broken() {
    let server = green_service("401 Unauthorized");
    let output = seed("kneo-serv-incident")
        .args(["--input", &format!("base_url={}", server.url("")), "--answer", "ask_symptom=unauthorized"])
        .args(["--answer", "auth_no_key.tried=ops key from the vault: 200", "--answer", "auth_manual=accepted"])
        .status(0);
    let record = record(&output);
    concluded(&record, "concl_caller_key", "diagnosed", "medium");
    assert_eq!(path(&record), ["healthz", "readyz", "ask_symptom", "auth_no_key", "auth_manual", "concl_caller_key"]);
    assert!(
        server.requests().iter().all(|request| !request.path.starts_with("/v1")),
        "no request with an empty key may be sent"
    );
}

#[test]
fn a_key_refused_with_401_is_auth_broken_service_wide() {
    let server = green_service("401 Unauthorized");
    let output = seed("kneo-serv-incident")
        .args(["--input", &format!("base_url={}", server.url("")), "--answer", "ask_symptom=unauthorized"])
        .env("KNEO_API_KEY", "kneo-test-key-1")
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_auth_broken", "diagnosed", "high");
    assert!(diagnosis.starts_with("The API key given to this run (KNEO_API_KEY) gets 401 too"), "{diagnosis}");
    assert_eq!(path(&record), ["healthz", "readyz", "ask_symptom", "auth_check", "concl_auth_broken"]);
    assert_eq!(observation(&record, "auth_check", None)["status"], 401);
    let sent =
        server.requests().into_iter().find(|request| request.path == "/v1/audit-events").expect("the auth probe");
    assert_eq!(sent.header("x-kneo-api-key"), Some("kneo-test-key-1"));
}

#[test]
fn a_502_from_nginx_in_front_of_a_stopped_backend_is_the_process_down_not_a_crash() {
    let nginx = Nginx::proxy_to(free_port());
    let output = seed("kneo-serv-incident")
        .args(["--input", &format!("base_url={}", nginx.url(""))])
        .args([
            "--answer",
            "process_down.finding=container exited 137",
            "--answer",
            "process_down_cause=process_stopped",
        ])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_process_stopped", "diagnosed", "critical");
    assert!(diagnosis.ends_with("container exited 137"), "{diagnosis}");
    assert_eq!(path(&record), ["healthz", "process_down", "process_down_cause", "concl_process_stopped"]);
    let healthz = observation(&record, "healthz", None);
    assert_eq!(healthz["status"], 502);
    assert!(healthz["headers"].to_string().contains("nginx"), "{healthz}");
}

#[test]
fn a_504_from_nginx_in_front_of_a_hung_backend_escalates_with_what_was_found() {
    let backend = Server::start(|_, stream| stay_silent(stream));
    let nginx = Nginx::proxy_to(backend.port);
    let output = seed("kneo-serv-incident")
        .args(["--input", &format!("base_url={}", nginx.url(""))])
        .args(["--answer", "process_down.finding=process up, proxy points at it, no answer"])
        .args(["--answer", "process_down_cause=unknown", "--answer", "after_deploy=no"])
        .args([
            "--answer",
            "escalate_request_id=req-7",
            "--answer",
            "escalate_run_id=none",
            "--answer",
            "escalate_spec=none",
        ])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_escalate", "escalated", "high");
    assert!(
        diagnosis.ends_with(
            "/healthz gave no answer; neither a stopped process nor the proxy upstream explains it: process up, proxy points at it, no answer."
        ),
        "{diagnosis}"
    );
    assert_eq!(
        path(&record),
        [
            "healthz",
            "process_down",
            "process_down_cause",
            "after_deploy",
            "escalate_context",
            "escalate_request_id",
            "escalate_run_id",
            "escalate_spec",
            "concl_escalate"
        ]
    );
    assert_eq!(observation(&record, "healthz", None)["status"], 504);
    assert!(backend.connection_count() >= 1, "nginx reached the hung backend");
}

#[test]
fn a_500_from_the_application_is_a_crash_mid_request() {
    let server = Server::start(|_, stream| respond(stream, "500 Internal Server Error", &[], b"Traceback"));
    let output = seed("kneo-serv-incident")
        .args(["--input", &format!("base_url={}", server.url("")), "--answer", "app_crashed.error=KeyError: 'tenant'"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_app_crashed", "diagnosed", "critical");
    assert_eq!(diagnosis, "The application crashes mid-request (HTTP 500): KeyError: 'tenant'");
    assert_eq!(path(&record), ["healthz", "app_crashed", "concl_app_crashed"]);
}

#[test]
fn readyz_timing_out_takes_the_same_path_as_healthz_timing_out() {
    let server = Server::start(|request, stream| match request.path.as_str() {
        "/readyz" => stay_silent(stream),
        _ => respond(stream, "200 OK", &[], br#"{"status":"ok"}"#),
    });
    let output = seed("kneo-serv-incident")
        .args(["--input", &format!("base_url={}", server.url(""))])
        .args([
            "--answer",
            "process_down.finding=worker pool exhausted",
            "--answer",
            "process_down_cause=process_stopped",
        ])
        .status(0);
    let record = record(&output);
    concluded(&record, "concl_process_stopped", "diagnosed", "critical");
    assert_eq!(path(&record), ["healthz", "readyz", "process_down", "process_down_cause", "concl_process_stopped"]);
    assert_eq!(observation(&record, "readyz", None)["error"]["kind"], "timeout");
    let text = &step(&record, "process_down")["instruction"]["text"];
    assert_eq!(text, "/readyz did not answer (timeout): the process is down or unreachable from here.");
}
