//! `worker-deploy-failure.yaml` (seed 004) against a real redis-server that
//! tests stop and start, a worker repository on disk, and stand-ins for the
//! docker CLI and the worker's Python.

use serde_json::Value;

use super::{concluded, path, record, seed, step};
use crate::Test;
use crate::http_server::{Server, respond};
use crate::services::{Redis, script};

/// What the Docker stand-in does.
#[derive(Clone, Copy)]
enum Docker {
    /// The CLI is there, no daemon answers (`docker info` fails).
    NoDaemon,
    /// `docker build` fails fast with a build error.
    BuildFails,
    /// Everything succeeds.
    Works,
}

/// A worker repository (Dockerfile, Procfile, main.py) with stand-ins for
/// docker and python; `retries` says whether the worker retries Redis.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new(docker: Docker, retries: bool) -> Self {
        let dir = tempfile::tempdir().expect("repository");
        let worker = dir.path().join("backend/worker");
        std::fs::create_dir_all(&worker).expect("backend/worker");
        std::fs::write(
            worker.join("Dockerfile"),
            "FROM python:3.11-slim\nCMD [\"python\", \"-m\", \"backend.worker.main\"]\n",
        )
        .unwrap();
        std::fs::write(worker.join("Procfile"), "worker: python -m backend.worker.main\n").unwrap();
        std::fs::write(worker.join("main.py"), "import sys\n").unwrap();
        let (info, build) = match docker {
            Docker::NoDaemon => {
                ("echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2; exit 1", "exit 1")
            }
            Docker::BuildFails => (
                "exit 0",
                "echo 'ERROR: failed to solve: process \"/bin/sh -c pip install -r requirements.txt\" did not complete successfully' >&2; exit 1",
            ),
            Docker::Works => ("exit 0", "exit 0"),
        };
        script(
            dir.path(),
            "docker",
            &format!("case \"$1\" in\n  info) {info};;\n  build) {build};;\n  *) exit 0;;\nesac"),
        );
        let run_worker = if retries {
            "for i in 1 2 3 4 5; do echo \"Redis connection attempt $i/5 failed, retry in 2s\"; done; exit 1"
        } else {
            "echo 'redis.exceptions.ConnectionError: Error 111 connecting to localhost:9999' >&2; exit 1"
        };
        script(
            dir.path(),
            "python",
            &format!(
                "case \"$2\" in\n  *'All imports OK'*) echo 'All imports OK';;\n  *'run_worker()'*) {run_worker};;\n  \
                 *start_health_server*) echo '{{\"http\": 200, \"status\": \"degraded\"}}';;\n  *) exit 2;;\nesac"
            ),
        );
        Self { dir }
    }

    fn at(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The runbook run on this repository with `redis_url` as REDIS_URL,
    /// the other deployed variables set, every dashboard answer matching
    /// the plan, and Phase 1 not deployed.
    fn run(&self, redis_url: &str) -> Test {
        let mut test = seed("worker-deploy-failure")
            .args([
                "--input",
                &format!("repo_dir={}", self.at("")),
                "--input",
                &format!("docker={}", self.at("docker")),
            ])
            .args(["--input", &format!("python={}", self.at("python"))])
            .args([
                "--answer",
                "deploy_logs.phase=startup crash loop",
                "--answer",
                "deploy_logs.last_lines=sys.exit(1)",
            ])
            .env("REDIS_URL", redis_url);
        for answer in [
            "rc3_healthcheck_path=yes",
            "rc4_dockerfile_path=yes",
            "dashboard_deploy_settings=yes",
            "rc7_port_unset=yes",
        ] {
            test = test.args(["--answer", answer]);
        }
        for variable in ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "DEFAULT_USER_ID", "ANTHROPIC_API_KEY"] {
            test = test.env(variable, "set-for-the-test");
        }
        test
    }
}

fn outcome<'a>(record: &'a Value, id: &str) -> &'a Value {
    &step(record, id)["outcome"]
}

#[test]
fn without_a_docker_daemon_the_build_is_not_blamed_on_context_bloat() {
    let redis = Redis::start();
    let repo = Repo::new(Docker::NoDaemon, false);
    let output = repo
        .run(&format!("redis://redis.railway.internal:{}/0", redis.port))
        .args(["--answer", "deploy_phase1=no"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_diagnosed", "diagnosed", "high");
    assert!(!diagnosis.contains("#5 (25%)"), "{diagnosis}");
    assert!(
        diagnosis.contains("Not run here: Test D and Test E (no Docker daemon); #5 stays possible, no .dockerignore"),
        "{diagnosis}"
    );
    assert!(diagnosis.contains("#6 (15%) a Procfile beside the Dockerfile\n"), "CMD and Procfile agree: {diagnosis}");
    assert_eq!(outcome(&record, "docker_daemon"), "fail");
    let ran = path(&record);
    assert!(
        !ran.contains(&"rc5_build") && !ran.contains(&"test_e_start") && !ran.contains(&"test_e_health"),
        "{ran:?}"
    );
}

#[test]
fn declining_the_container_test_runs_no_health_check_and_blames_no_missing_fix() {
    let redis = Redis::start();
    let repo = Repo::new(Docker::Works, false);
    let output = repo
        .run(&format!("redis://127.0.0.1:{}/0", redis.port))
        .args(["--answer", "test_e_start=no", "--answer", "deploy_phase1=no"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_diagnosed", "diagnosed", "high");
    assert!(!diagnosis.contains("Fix 4 missing"), "{diagnosis}");
    assert!(diagnosis.contains("Not run: Test E (the container start was declined)."), "{diagnosis}");
    assert_eq!(step(&record, "test_e_start")["action"]["decision"], "declined");
    assert!(!path(&record).contains(&"test_e_health"), "{:?}", path(&record));
}

#[test]
fn a_container_whose_health_server_is_up_while_redis_is_down_passes_test_e() {
    let redis = Redis::start();
    let container = Server::start(|_, stream| {
        respond(
            stream,
            "200 OK",
            &[("content-type", "application/json")],
            br#"{"status": "degraded", "redis_connected": false}"#,
        )
    });
    let repo = Repo::new(Docker::Works, true);
    let output = repo
        .run(&format!("redis://127.0.0.1:{}/0", redis.port))
        .args(["--input", &format!("health_port={}", container.port), "--yes", "--answer", "deploy_phase1=no"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_diagnosed", "diagnosed", "high");
    assert_eq!(outcome(&record, "test_e_health"), "pass");
    assert_eq!(outcome(&record, "rc1_worker_retries"), "pass");
    assert!(!diagnosis.contains("#1 (70%)"), "Redis answers and the worker retries: {diagnosis}");
    assert!(diagnosis.contains("#2 (60%) REDIS_URL points at this machine"), "{diagnosis}");
}

#[test]
fn a_build_that_fails_fast_is_a_build_error_not_context_bloat() {
    let redis = Redis::start();
    let repo = Repo::new(Docker::BuildFails, true);
    let output =
        repo.run(&format!("redis://127.0.0.1:{}/0", redis.port)).args(["--answer", "deploy_phase1=no"]).status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_diagnosed", "diagnosed", "high");
    assert!(diagnosis.contains("the image does not build (Test D exits 1): ERROR: failed to solve"), "{diagnosis}");
    assert!(!diagnosis.contains("#5 (25%)"), "{diagnosis}");
    assert!(!path(&record).contains(&"test_e_start"), "no image, no container test");
}

#[test]
fn redis_stopped_then_started_is_found_by_the_ping_check() {
    let mut redis = Redis::start();
    let url = format!("redis://127.0.0.2:{}/0", redis.port);
    let repo = Repo::new(Docker::NoDaemon, false);
    redis.stop();
    let down = record(&repo.run(&url).args(["--answer", "deploy_phase1=no"]).status(0));
    let diagnosis = concluded(&down, "concl_diagnosed", "diagnosed", "high");
    assert!(
        diagnosis.contains("#1 (70%) Redis unavailable at startup ends in sys.exit(1): Redis does not answer PING"),
        "{diagnosis}"
    );
    assert!(diagnosis.contains("This is the combination the plan expects: #1 with #2."), "{diagnosis}");
    assert_eq!(step(&down, "rc1_redis_reachable")["attempts"].as_array().unwrap().len(), 3);

    redis.restart();
    let up = record(&repo.run(&url).args(["--answer", "deploy_phase1=no"]).status(0));
    assert_eq!(outcome(&up, "rc1_redis_reachable"), "pass");
    let diagnosis = concluded(&up, "concl_diagnosed", "diagnosed", "high");
    assert!(!diagnosis.contains("Redis does not answer PING"), "{diagnosis}");
    assert!(diagnosis.contains("the worker does not retry an unreachable Redis (0 retry lines)"), "{diagnosis}");
}

#[test]
fn every_loopback_spelling_of_redis_url_counts_as_local() {
    let redis = Redis::start();
    let repo = Repo::new(Docker::NoDaemon, true);
    let port = redis.port;
    for url in [
        format!("redis://localhost:{port}/0"),
        format!("redis://127.0.0.2:{port}/0"),
        format!("redis://LocalHost.:{port}"),
        format!("redis://[::1]:{port}/0"),
        format!("redis://default@127.1.2.3:{port}/0"),
    ] {
        let record = record(&repo.run(&url).args(["--answer", "deploy_phase1=no"]).status(0));
        assert_eq!(outcome(&record, "rc2_redis_url_not_local"), "fail", "{url}");
        let diagnosis = concluded(&record, "concl_diagnosed", "diagnosed", "high");
        assert!(diagnosis.contains("#2 (60%) REDIS_URL points at this machine"), "{url}: {diagnosis}");
    }
}

#[test]
fn nothing_confirmed_is_inconclusive_not_diagnosed() {
    let repo = Repo::new(Docker::Works, true);
    std::fs::remove_file(repo.dir.path().join("backend/worker/Procfile")).unwrap();
    // Redis in Railway answers on its internal host: a redis-cli stand-in
    // plays it, first on PATH.
    script(repo.dir.path(), "redis-cli", "echo PONG");
    let container = Server::start(|_, stream| {
        respond(stream, "200 OK", &[], br#"{"status": "degraded", "redis_connected": false}"#)
    });
    let path_var = format!("{}:{}", repo.at(""), std::env::var("PATH").unwrap_or_default());
    let output = repo
        .run("redis://default@redis.railway.internal:6379/0")
        .env("PATH", &path_var)
        .args(["--input", &format!("health_port={}", container.port), "--yes"])
        .status(0);
    let record = record(&output);
    let diagnosis = concluded(&record, "concl_inconclusive", "inconclusive", "medium");
    assert!(diagnosis.starts_with("None of the seven candidates is confirmed"), "{diagnosis}");
    for id in [
        "rc1_redis_reachable",
        "rc2_redis_url_not_local",
        "test_a_imports",
        "rc1_worker_retries",
        "rc5_build",
        "test_e_health",
    ] {
        assert_eq!(outcome(&record, id), "pass", "{id}");
    }
}
