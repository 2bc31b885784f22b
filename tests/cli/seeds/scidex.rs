//! `scidex-route-502.yaml` (seed 003) against a SciDEX API stand-in on
//! loopback, a real nginx as the public proxy, and stand-ins for systemctl,
//! the scidex CLI and the watchdog's Python.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{concluded, observation, path, record, seed, step};
use crate::Test;
use crate::http_server::{Server, respond, stay_silent};
use crate::services::{Nginx, free_port, script};

const HEALTHY: &[u8] =
    br#"{"status": "healthy", "hypotheses": 1171, "analyses": 398, "entities": 49251, "edges": 714201}"#;

/// Stand-ins for systemctl (the API's MainPID is `main_pid`, the watchdog
/// service last ended in `watchdog_result`), the scidex CLI and Python.
struct Host {
    dir: tempfile::TempDir,
    systemctl: PathBuf,
}

impl Host {
    fn new(main_pid: u32, watchdog_result: &str) -> Self {
        let dir = tempfile::tempdir().expect("stand-in directory");
        let systemctl = script(
            dir.path(),
            "systemctl",
            &format!(
                r#"case "$*" in
  *"-p MainPID"*) echo {main_pid};;
  *"-p OnUnitActiveSec"*) echo 15min;;
  *"-p Result"*) echo {watchdog_result};;
  *"-p ActiveState"*) printf 'ActiveState=active\nActiveEnterTimestamp=Sun 2026-11-29 20:00:00 UTC\n';;
  status*) echo "scidex-api.service: active (running)";;
  *) echo "unexpected systemctl $*" >&2; exit 1;;
esac"#
            ),
        );
        script(dir.path(), "scidex", "echo 'scidex-api active; hypotheses=1171'");
        script(
            dir.path(),
            "python3",
            r#"case "$*" in
  *py_compile*) exit 0;;
  *ci_route_health.py*) echo "21 OK, 0 timeout/unreachable, 0 rate-limited, 0 HTTP error";;
  *) exit 2;;
esac"#,
        );
        Self { dir, systemctl }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The runbook run with these stand-ins and the backend at `port`.
    fn run(&self, port: u16) -> Test {
        let input = |name: &str, value: &str| ["--input".to_owned(), format!("{name}={value}")];
        seed("scidex-route-502")
            .args(input("base_url", &format!("http://127.0.0.1:{port}")))
            .args(input("port", &port.to_string()))
            .args(input("systemctl", &self.systemctl.display().to_string()))
            .args(input("scidex", &self.path("scidex")))
            .args(input("python", &self.path("python3")))
            .args(input("repo_dir", &Path::new(self.dir.path()).display().to_string()))
    }
}

/// The API: /api/health answers `health`, every other route `routes`.
fn api(health: (&'static str, &'static [u8]), routes: &'static str) -> Server {
    Server::start(move |request, stream| match request.path.as_str() {
        "/api/health" => respond(stream, health.0, &[("content-type", "application/json")], health.1),
        _ => respond(stream, routes, &[], b"<html></html>"),
    })
}

#[test]
fn an_old_build_answering_200_degraded_is_the_api_degraded_not_a_false_alarm() {
    let server = api(("200 OK", br#"{"status": "degraded", "db": "error"}"#), "200 OK");
    let host = Host::new(1, "success");
    let output = host.run(server.port).status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_degraded_old_build", "diagnosed", "high");
    assert!(diagnosis.contains("its payload says `degraded`"), "{diagnosis}");
    assert_eq!(path(&record), ["api_health", "concl_degraded_old_build"]);
    let health = step(&record, "api_health");
    assert_eq!(health["outcome"], "warn");
    let probe = &health["attempts"][0]["probes"][0];
    assert_eq!(probe["observation"]["status"], 200);
    let failed: Vec<_> = probe["expectations"].as_array().unwrap().iter().filter(|e| e["passed"] == false).collect();
    assert_eq!(
        (failed.len(), &failed[0]["subject"]),
        (1, &"body".into()),
        "only the warn on the payload's status: {failed:?}"
    );
    assert_eq!(step(&record, "api_health")["captures"]["health_state"], "degraded");
}

#[test]
fn a_503_from_api_health_is_the_api_degraded() {
    let server = api(("503 Service Unavailable", br#"{"status": "degraded"}"#), "200 OK");
    let output = Host::new(1, "success").run(server.port).status(0);
    let record = record(&output);
    concluded(&record, "concl_degraded", "diagnosed", "high");
    assert_eq!(path(&record), ["api_health", "concl_degraded"]);
    assert_eq!(step(&record, "api_health")["attempts"].as_array().unwrap().len(), 1, "a real answer is not retried");
}

#[test]
fn rate_limited_probes_are_contention_and_the_alarm_is_false() {
    let server = api(("200 OK", HEALTHY), "429 Too Many Requests");
    let output = Host::new(1, "success").run(server.port).args(["--answer", "users_see_502=no"]).status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_healthy", "diagnosed", "info");
    assert!(diagnosis.contains("1171 hypotheses"), "{diagnosis}");
    assert!(diagnosis.contains("scidex-api.service\nactive since Sun 2026-11-29 20:00:00 UTC"), "{diagnosis}");
    assert_eq!(step(&record, "core_routes")["outcome"], "warn");
    assert_eq!(step(&record, "page_routes")["outcome"], "warn");
    assert!(server.requests().iter().all(|r| r.header("user-agent") == Some("scidex-runbook-probe")));
    assert_eq!(
        path(&record),
        [
            "api_health",
            "core_routes",
            "page_routes",
            "service_state",
            "users_see_502",
            "watchdog_timer",
            "watchdog_service",
            "watchdog_compiles",
            "watchdog_run",
            "concl_healthy"
        ]
    );
}

#[test]
fn a_hung_backend_is_killed_through_its_main_pid_and_recovers() {
    let mut main_process = Command::new("sleep").arg("300").stdin(Stdio::null()).spawn().expect("start sleep");
    let killed = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&killed);
    let server = Server::start(move |request, stream| {
        if !seen.load(Ordering::SeqCst) {
            return stay_silent(stream);
        }
        match request.path.as_str() {
            "/api/health" => respond(stream, "200 OK", &[], HEALTHY),
            _ => respond(stream, "200 OK", &[], b"ok"),
        }
    });
    let host = Host::new(main_process.id(), "success");
    let waiter = std::thread::spawn(move || {
        let status = main_process.wait().expect("wait for the hung process");
        killed.store(true, Ordering::SeqCst);
        status
    });
    let output = host.run(server.port).args(["--yes", "--answer", "users_see_502=no"]).status(0);
    let status = waiter.join().expect("waiter thread");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "SIGKILL ended the hung process");
    let record = record(&output);
    concluded(&record, "concl_recovered", "resolved", "high");
    assert_eq!(
        path(&record)[..7],
        ["api_health", "listening", "hung_status", "main_pid", "kill_hung", "wait_recovered", "core_routes"]
    );
    assert_eq!(step(&record, "api_health")["attempts"].as_array().unwrap().len(), 3, "timeouts are retried");
    assert_eq!(observation(&record, "api_health", None)["error"]["kind"], "timeout");
    assert_eq!(observation(&record, "listening", None)["connected"], true);
    assert_eq!(step(&record, "kill_hung")["outcome"], "pass");
}

#[test]
fn a_502_through_nginx_while_the_backend_answers_is_the_proxy() {
    let server = api(("200 OK", HEALTHY), "200 OK");
    let nginx = Nginx::proxy_to(free_port());
    let output = Host::new(1, "success")
        .run(server.port)
        .args(["--input", &format!("public_url={}", nginx.url("")), "--answer", "users_see_502=yes"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_proxy", "diagnosed", "high");
    assert!(diagnosis.contains(&nginx.url("")), "{diagnosis}");
    let public = step(&record, "public_routes");
    assert_eq!(public["outcome"], "fail");
    assert_eq!(public["attempts"][0]["probes"][0]["observation"]["status"], 502);
}

#[test]
fn a_healthy_backend_with_a_failing_recovery_service_says_so() {
    let server = api(("200 OK", HEALTHY), "200 OK");
    let output = Host::new(1, "exit-code").run(server.port).args(["--answer", "users_see_502=no"]).status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_watchdog_service_failing", "diagnosed", "medium");
    assert!(diagnosis.contains("ends in `exit-code`"), "{diagnosis}");
    assert_eq!(step(&record, "watchdog_service")["outcome"], "fail");
}

#[test]
fn a_plain_text_500_from_api_health_is_an_http_error_not_a_hang() {
    let server = api(("500 Internal Server Error", b"Internal Server Error"), "200 OK");
    let output = Host::new(1, "success").run(server.port).status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_api_http_error", "diagnosed", "high");
    assert!(diagnosis.starts_with("/api/health answers HTTP 500"), "{diagnosis}");
    assert_eq!(path(&record), ["api_health", "concl_api_http_error"]);
}

#[test]
fn one_core_route_hanging_while_api_health_answers_is_that_route_and_nothing_is_killed() {
    let mut main_process = Command::new("sleep").arg("300").stdin(Stdio::null()).spawn().expect("start sleep");
    let server = Server::start(|request, stream| match request.path.as_str() {
        "/api/status" => stay_silent(stream),
        "/api/health" => respond(stream, "200 OK", &[], HEALTHY),
        _ => respond(stream, "200 OK", &[], b"ok"),
    });
    let output = Host::new(main_process.id(), "success").run(server.port).args(["--yes"]).status(0);
    let still_running = main_process.try_wait().expect("poll the API process").is_none();
    main_process.kill().expect("stop sleep");
    main_process.wait().expect("reap sleep");
    assert!(still_running, "an API that serves requests is not SIGKILLed");
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_core_route_timeout", "diagnosed", "high");
    assert!(diagnosis.contains("(/api/status)") && diagnosis.contains("/api/health is `healthy`"), "{diagnosis}");
    assert_eq!(path(&record), ["api_health", "core_routes", "concl_core_route_timeout"]);
    let core = step(&record, "core_routes");
    assert_eq!(core["outcome"], "error");
    assert_eq!(core["attempts"].as_array().unwrap().len(), 2, "the timeout is retried once");
}
