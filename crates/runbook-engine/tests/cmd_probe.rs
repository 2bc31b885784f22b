//! The `cmd` probe against real processes: exit codes, output capture,
//! arguments without a shell, stdin, env and cwd, spawn failures, bounded
//! capture of huge output, and stopping a whole process group on timeout,
//! cancellation or drop. No assertion depends on how long anything takes,
//! except that a grace of minutes is not waited out for a zombie;
//! processes are checked for survival by pid.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use runbook_engine::probe::{CmdObservation, CmdProgram, CmdSpec, ErrorKind, Limits, Observation, Probe};
use tokio_util::sync::CancellationToken;

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let unique = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("runbook-cmd-{}-{unique}-{name}", std::process::id()));
        fs::create_dir_all(&path).expect("create a temporary directory");
        // Canonical, so that `pwd` prints the same path.
        Self(fs::canonicalize(&path).expect("canonicalize the temporary directory"))
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn argv(args: &[&str]) -> CmdSpec {
    spec(CmdProgram::Argv(args.iter().map(ToString::to_string).collect()))
}

fn sh(script: &str) -> CmdSpec {
    spec(CmdProgram::Shell(script.to_owned()))
}

fn spec(program: CmdProgram) -> CmdSpec {
    CmdSpec { program, env: Vec::new(), cwd: None, stdin: None, timeout: Duration::from_secs(30) }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("build a tokio runtime")
}

fn cmd(observation: Observation) -> CmdObservation {
    match observation {
        Observation::Cmd(observation) => observation,
        other => panic!("expected a cmd observation, got {other:?}"),
    }
}

fn run_with(spec: &CmdSpec, limits: &Limits) -> CmdObservation {
    let cancel = CancellationToken::new();
    cmd(runtime().block_on(spec.observe(limits, &cancel)))
}

fn run(spec: &CmdSpec) -> CmdObservation {
    run_with(spec, &Limits::default())
}

fn stdout(observation: &CmdObservation) -> String {
    observation.stdout.text()
}

/// Limits with a short grace, so that stopping tests stay quick.
fn short_grace() -> Limits {
    Limits { kill_grace: Duration::from_millis(200), ..Limits::default() }
}

/// Waits until `path` holds a pid written by a test script.
async fn pid_in(path: &Path) -> i32 {
    for _ in 0..1000 {
        if let Some(pid) = fs::read_to_string(path).ok().and_then(|text| text.trim().parse().ok()) {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no pid appeared in {}", path.display());
}

fn read_pid(path: &Path) -> i32 {
    let text = fs::read_to_string(path).expect("the script wrote its pid file");
    text.trim().parse().expect("the pid file holds a pid")
}

/// Whether `pid` no longer runs: gone, or a zombie waiting for a reaper
/// (in a container, pid 1 may never reap orphans).
fn is_dead(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| matches!(state, 'Z' | 'X')),
    }
}

/// Whether `pid` dies soon. A process killed by SIGKILL still has to be
/// scheduled to exit, hence the wait; this bounds a liveness check, it
/// does not time the probe.
fn dies(pid: i32) -> bool {
    for _ in 0..500 {
        if is_dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn child_pid(observation: &CmdObservation) -> i32 {
    i32::try_from(observation.pid.expect("the command was spawned")).expect("pids fit in i32")
}

#[test]
fn exit_codes_are_reported() {
    let ok = run(&argv(&["true"]));
    assert_eq!((ok.exit_code, ok.signal, ok.timed_out, ok.error), (Some(0), None, false, None));
    assert!(ok.pid.is_some());

    let three = run(&sh("exit 3"));
    assert_eq!((three.exit_code, three.signal, three.error), (Some(3), None, None));
}

#[test]
fn a_signal_that_ends_the_command_is_reported() {
    let observation = run(&sh("kill -KILL $$"));
    assert_eq!((observation.exit_code, observation.signal, observation.error), (None, Some(9), None));
}

#[test]
fn stdout_and_stderr_are_captured_separately() {
    let observation = run(&sh("echo out; echo err >&2; echo more"));
    assert_eq!(stdout(&observation), "out\nmore\n");
    assert_eq!(observation.stderr.text(), "err\n");
    assert_eq!((observation.stdout.total_bytes, observation.stderr.total_bytes), (9, 4));
    assert!(observation.stdout.is_complete() && observation.stderr.is_complete());
}

#[test]
fn argv_is_passed_literally_without_a_shell() {
    let dir = TempDir::new("argv");
    let canary = dir.join("canary");
    let substitution = format!("$(touch {})", canary.display());
    let observation = run(&argv(&["printf", "[%s]\\n", "two words", &substitution, "'quoted'", "*"]));
    assert_eq!(observation.exit_code, Some(0));
    assert_eq!(stdout(&observation), format!("[two words]\n[{substitution}]\n['quoted']\n[*]\n"));
    assert!(!canary.exists(), "a shell ran the argument");
}

#[test]
fn sh_runs_a_pipeline() {
    let observation = run(&sh("printf 'b\\na\\nc\\n' | sort | tr -d '\\n'"));
    assert_eq!((observation.exit_code, stdout(&observation).as_str()), (Some(0), "abc"));
}

#[test]
fn stdin_text_reaches_the_command() {
    let mut spec = argv(&["tr", "a-z", "A-Z"]);
    spec.stdin = Some("hello\nworld".into());
    let observation = run(&spec);
    assert_eq!((observation.exit_code, stdout(&observation).as_str()), (Some(0), "HELLO\nWORLD"));
}

#[test]
fn a_large_stdin_is_written_while_output_is_read() {
    // Far more than both pipe buffers: writing all of it before reading
    // would deadlock with `cat` blocked on a full stdout.
    let input = "0123456789abcdef".repeat(512 * 1024);
    let mut spec = argv(&["cat"]);
    spec.stdin = Some(input.clone());
    let observation = run(&spec);
    assert_eq!(observation.exit_code, Some(0));
    assert_eq!(observation.stdout.total_bytes, input.len() as u64);
}

#[test]
fn a_command_that_ignores_its_stdin_still_finishes() {
    let mut spec = sh("echo done");
    spec.stdin = Some("x".repeat(1024 * 1024));
    let observation = run(&spec);
    assert_eq!((observation.exit_code, stdout(&observation).as_str(), observation.error), (Some(0), "done\n", None));
}

#[test]
fn without_stdin_the_command_reads_end_of_file() {
    let observation = run(&argv(&["cat"]));
    assert_eq!((observation.exit_code, observation.stdout.total_bytes), (Some(0), 0));
}

#[test]
fn env_is_added_to_the_inherited_environment() {
    let mut spec = sh(r#"printf '%s|%s' "$RUNBOOK_TEST_VALUE" "$PATH""#);
    spec.env = vec![("RUNBOOK_TEST_VALUE".into(), "a value with spaces".into())];
    let observation = run(&spec);
    let path = std::env::var("PATH").unwrap_or_default();
    assert_eq!(stdout(&observation), format!("a value with spaces|{path}"));
}

#[test]
fn cwd_applies() {
    let dir = TempDir::new("cwd");
    let mut spec = argv(&["pwd"]);
    spec.cwd = Some(dir.0.clone());
    let observation = run(&spec);
    assert_eq!(stdout(&observation), format!("{}\n", dir.0.display()));
}

#[test]
fn a_missing_program_is_a_spawn_failure() {
    let observation = run(&argv(&["runbook-no-such-program", "arg"]));
    let error = observation.error.expect("an error");
    assert_eq!(error.kind, ErrorKind::SpawnFailed);
    assert!(error.message.contains("`runbook-no-such-program`"), "{}", error.message);
    assert_eq!((observation.exit_code, observation.pid, observation.timed_out), (None, None, false));
}

#[test]
fn an_empty_argv_is_a_spawn_failure() {
    let observation = run(&argv(&[]));
    assert_eq!(observation.error.map(|error| error.kind), Some(ErrorKind::SpawnFailed));
}

#[test]
fn a_file_that_is_not_executable_is_a_spawn_failure() {
    let dir = TempDir::new("noexec");
    let script = dir.join("script.sh");
    fs::write(&script, "#!/bin/sh\necho hi\n").expect("write the script");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).expect("make it not executable");
    let program = script.display().to_string();
    let error = run(&argv(&[&program])).error.expect("an error");
    assert_eq!(error.kind, ErrorKind::SpawnFailed);
    assert!(error.message.contains(&program), "{}", error.message);
}

#[test]
fn a_missing_working_directory_is_a_spawn_failure() {
    let mut spec = argv(&["true"]);
    spec.cwd = Some(PathBuf::from("/nonexistent/runbook-cwd"));
    let error = run(&spec).error.expect("an error");
    assert_eq!(error.kind, ErrorKind::SpawnFailed);
    assert!(error.message.contains("/nonexistent/runbook-cwd"), "{}", error.message);
}

#[test]
fn huge_output_keeps_the_head_and_the_tail_within_the_limit() {
    let limits = Limits { max_capture_bytes: 64 * 1024, ..Limits::default() };
    let observation = run_with(&sh("printf START; head -c 200000000 /dev/zero; printf END"), &limits);
    assert_eq!((observation.exit_code, observation.error), (Some(0), None));
    let out = &observation.stdout;
    assert_eq!(out.total_bytes, 200_000_008);
    assert_eq!((out.head.len(), out.tail.len()), (32 * 1024, 32 * 1024));
    assert_eq!(out.dropped_bytes, 200_000_008 - 64 * 1024);
    assert!(out.head.starts_with(b"START\0"));
    assert!(out.tail_bytes().ends_with(b"\0END"));
}

#[test]
fn a_timeout_kills_the_child_and_its_grandchild() {
    let dir = TempDir::new("timeout");
    let pidfile = dir.join("grandchild.pid");
    let mut spec = sh(&format!("sleep 60 & echo $! > '{}'; echo started; sleep 60", pidfile.display()));
    spec.timeout = Duration::from_millis(500);
    let observation = run_with(&spec, &short_grace());
    let error = observation.error.as_ref().expect("an error");
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(error.message, "`sh` did not finish within 500ms");
    assert!(observation.timed_out);
    assert_eq!((observation.exit_code, observation.signal), (None, Some(15)));
    assert_eq!(stdout(&observation), "started\n");
    assert!(dies(child_pid(&observation)), "the child survived");
    assert!(dies(read_pid(&pidfile)), "the grandchild survived");
}

/// review-10-attack5 L16: `sh: sleep 30` with `timeout: 1s` ended 1.5-2 s
/// late. SIGTERM kills `sh` and its `sleep`; the `sleep`, reparented, is a
/// zombie until its new parent reaps it, and PID 1 in a container may
/// never do so: a zombie is not a survivor, so the grace is not waited
/// out. This process is made the subreaper that never reaps, so the
/// zombie is certain here; the grace is minutes long, so the bound below
/// says "not waited out" on any machine, however loaded.
#[test]
fn a_grandchild_left_a_zombie_does_not_hold_the_probe_for_the_grace() {
    nix::sys::prctl::set_child_subreaper(true).expect("become a child subreaper");
    let dir = TempDir::new("zombie");
    let pidfile = dir.join("grandchild.pid");
    let mut spec = sh(&format!("sleep 60 & echo $! > '{}'; wait", pidfile.display()));
    spec.timeout = Duration::from_millis(300);
    let grace = Duration::from_secs(180);
    let observation = run_with(&spec, &Limits { kill_grace: grace, ..Limits::default() });
    assert!(observation.timed_out);
    assert_eq!(observation.signal, Some(15));
    assert!(dies(read_pid(&pidfile)), "the grandchild survived");
    assert!(observation.duration < grace / 3, "the grace was waited out: {:?}", observation.duration);
}

#[test]
fn a_grandchild_that_ignores_sigterm_is_killed_after_the_grace() {
    let dir = TempDir::new("term");
    let pidfile = dir.join("grandchild.pid");
    let script = format!("(trap '' TERM; exec sleep 60) & echo $! > '{}'; sleep 60", pidfile.display());
    let mut spec = sh(&script);
    spec.timeout = Duration::from_millis(500);
    let observation = run_with(&spec, &short_grace());
    assert!(observation.timed_out);
    assert_eq!(observation.error.as_ref().map(|error| error.kind), Some(ErrorKind::Timeout));
    assert!(dies(child_pid(&observation)), "the child survived");
    assert!(dies(read_pid(&pidfile)), "the grandchild survived SIGKILL");
}

#[test]
fn a_grandchild_holding_the_output_after_the_child_exits_is_stopped_at_the_timeout() {
    let dir = TempDir::new("orphan");
    let pidfile = dir.join("grandchild.pid");
    let mut spec = sh(&format!("sleep 60 & echo $! > '{}'; exit 4", pidfile.display()));
    spec.timeout = Duration::from_millis(500);
    let observation = run_with(&spec, &short_grace());
    assert!(observation.timed_out);
    assert_eq!(observation.exit_code, Some(4));
    let error = observation.error.expect("an error");
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(error.message.contains("kept its output open"), "{}", error.message);
    assert!(dies(read_pid(&pidfile)), "the grandchild survived");
}

#[test]
fn cancelling_stops_the_command_and_its_grandchild() {
    let dir = TempDir::new("cancel");
    let pidfile = dir.join("grandchild.pid");
    let spec = sh(&format!("sleep 60 & echo $! > '{}'; sleep 60", pidfile.display()));
    let cancel = CancellationToken::new();
    let limits = short_grace();
    let (observation, grandchild) = runtime().block_on(async {
        tokio::join!(spec.observe(&limits, &cancel), async {
            let pid = pid_in(&pidfile).await;
            cancel.cancel();
            pid
        })
    });
    let observation = cmd(observation);
    assert_eq!(observation.error.as_ref().map(|error| error.kind), Some(ErrorKind::Interrupted));
    assert!(!observation.timed_out);
    assert_eq!(observation.signal, Some(15));
    assert!(dies(child_pid(&observation)), "the child survived");
    assert!(dies(grandchild), "the grandchild survived");
}

#[test]
fn an_interrupted_run_starts_nothing() {
    let dir = TempDir::new("precancel");
    let canary = dir.join("canary");
    let cancel = CancellationToken::new();
    cancel.cancel();
    let spec = argv(&["touch", &canary.display().to_string()]);
    let observation = cmd(runtime().block_on(spec.observe(&Limits::default(), &cancel)));
    assert_eq!(observation.error.map(|error| error.kind), Some(ErrorKind::Interrupted));
    assert_eq!(observation.pid, None);
    assert!(!canary.exists());
}

#[test]
fn dropping_the_probe_kills_the_whole_group() {
    let dir = TempDir::new("drop");
    let pidfile = dir.join("pids");
    // The child writes its own pid and its grandchild's.
    let spec = sh(&format!("sleep 60 & echo $$ $! > '{}.tmp'; mv '{0}.tmp' '{0}'; sleep 60", pidfile.display()));
    let cancel = CancellationToken::new();
    let limits = Limits::default();
    let pids = runtime().block_on(async {
        let probe = spec.observe(&limits, &cancel);
        tokio::pin!(probe);
        let mut pids = None;
        for _ in 0..1000 {
            tokio::select! {
                _ = &mut probe => panic!("the command ended by itself"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            if let Ok(text) = fs::read_to_string(&pidfile) {
                pids = Some(text);
                break;
            }
        }
        pids.expect("the script wrote its pids")
    });
    let pids: Vec<i32> = pids.split_whitespace().map(|pid| pid.parse().expect("a pid")).collect();
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(dies(pid), "process {pid} survived the drop");
    }
}

/// A command dropped while it runs is killed and reaped: a long run does
/// not collect zombies.
#[test]
fn a_dropped_command_is_reaped_not_left_a_zombie() {
    let dir = TempDir::new("reaped");
    let pidfile = dir.join("pid");
    let spec = sh(&format!("echo $$ > '{}.tmp'; mv '{0}.tmp' '{0}'; sleep 60", pidfile.display()));
    let cancel = CancellationToken::new();
    let limits = Limits::default();
    runtime().block_on(async {
        let probe = spec.observe(&limits, &cancel);
        tokio::pin!(probe);
        for _ in 0..1000 {
            tokio::select! {
                _ = &mut probe => panic!("the command ended by itself"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            if pidfile.exists() {
                return;
            }
        }
        panic!("the script wrote no pid");
    });
    let pid = read_pid(&pidfile);
    let proc_entry = PathBuf::from(format!("/proc/{pid}"));
    for _ in 0..500 {
        assert_eq!(run(&argv(&["true"])).exit_code, Some(0));
        if !proc_entry.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("process {pid} was never reaped");
}

/// A command that closes its output and runs on is still waited for: its
/// exit code is the one it exits with later.
#[test]
fn a_command_that_closes_its_output_and_runs_on_is_waited_for() {
    let observation = run(&sh("echo before; exec >/dev/null 2>&1; sleep 0.3; exit 3"));
    assert_eq!((observation.exit_code, stdout(&observation), observation.error), (Some(3), "before\n".into(), None));
}

/// A program found on `PATH` is remembered, not looked for at each command;
/// once it is gone from there, the next command looks again and finds the
/// one further down `PATH`.
#[test]
fn a_program_gone_from_where_path_led_is_looked_for_again() {
    let dir = TempDir::new("moved");
    let (first, second) = (dir.join("first"), dir.join("second"));
    for (place, says) in [(&first, "first"), (&second, "second")] {
        fs::create_dir_all(place).expect("create a PATH directory");
        let tool = place.join("runbook-moved-tool");
        fs::write(&tool, format!("#!/bin/sh\necho {says}\n")).expect("write the tool");
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).expect("make it executable");
    }
    let mut spec = argv(&["runbook-moved-tool"]);
    spec.env = vec![("PATH".into(), format!("{}:{}:/usr/bin:/bin", first.display(), second.display()))];
    assert_eq!(stdout(&run(&spec)), "first\n");
    assert_eq!(stdout(&run(&spec)), "first\n");
    fs::remove_file(first.join("runbook-moved-tool")).expect("remove the first tool");
    let observation = run(&spec);
    assert_eq!((stdout(&observation), observation.error), ("second\n".into(), None));
}
