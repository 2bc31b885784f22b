//! The `cmd` probe: runs a command in a process group of its own, feeds its
//! standard input, keeps the head and tail of its output, and stops the
//! whole group on timeout or interruption.
//!
//! Why a process group: a command often starts children of its own
//! (`sh -c 'a | b'`, a script that backgrounds a helper). Killing only the
//! direct child leaves those running, and because they inherited the output
//! pipes, reading never reaches end-of-file and the probe would hang. So the
//! command leads a fresh group (its pgid is its pid) and stopping it means
//! SIGTERM to the group, a grace period, then SIGKILL to the group.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio_util::sync::CancellationToken;

use runbook_model::{Capture, CmdMock, CmdProbe, Expectation, Expected, ProbeKind, Spanned, Subject};
use serde_json::Value;

use super::observed::{Observed, heard, mocked_duration, mocked_text, took};
use super::{
    Captured, ErrorKind, Limits, Observation, Probe, ProbeError, ProbeFuture, deserialize_millis, human, millis,
    serialize_millis,
};
use crate::prepare::{Prepared, RenderError, Renderer};
use crate::redact::{Redact, Redactor};
use crate::template::shell_word;

/// Size of one read from an output pipe (a Linux pipe holds 64 KiB).
const CHUNK: usize = 64 * 1024;
/// Size of the first read: most commands print less, and a buffer this
/// small comes from the allocator's cache, where two of [`CHUNK`] a
/// command cost a heap search and a merge each; one read that fills it
/// makes the next ones [`CHUNK`].
const FIRST_CHUNK: usize = 1024;
/// How often a stopping group is checked for survivors during the grace.
const POLL: Duration = Duration::from_millis(20);
/// How long output is still read once the group is dead. Only a process
/// that left the group (`setsid`) can keep the pipes open that long, and it
/// must not hold the probe.
const DRAIN_AFTER_KILL: Duration = Duration::from_millis(250);

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdProgram {
    /// Program and arguments, no shell.
    Argv(Vec<String>),
    /// A command line for `sh -c` (values already shell-quoted).
    Shell(String),
}

/// A rendered command.
#[derive(Debug, Clone)]
pub struct CmdSpec {
    /// What to run.
    pub program: CmdProgram,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Working directory (default: the current one).
    pub cwd: Option<PathBuf>,
    /// Text for standard input; `None` gives it `/dev/null`.
    pub stdin: Option<String>,
    /// Limit on the command; on expiry its process group is stopped.
    pub timeout: Duration,
}

/// How the command ended and what it printed.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CmdObservation {
    /// Exit code, if it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// Whether the timeout stopped it.
    pub timed_out: bool,
    /// Standard output, bounded.
    pub stdout: Captured,
    /// Standard error, bounded.
    pub stderr: Captured,
    /// Wall time from spawn to the end of output.
    #[serde(serialize_with = "serialize_millis", deserialize_with = "deserialize_millis", rename = "duration_ms")]
    #[schemars(with = "u64")]
    pub duration: Duration,
    /// Why there is nothing to judge (spawn failure, timeout, interruption).
    pub error: Option<ProbeError>,
    /// Process id of the command (the process group id too).
    pub pid: Option<u32>,
}

impl CmdObservation {
    /// A command that never ran.
    fn not_run(error: ProbeError, duration: Duration) -> Self {
        Self {
            exit_code: None,
            signal: None,
            timed_out: false,
            stdout: Captured::new(),
            stderr: Captured::new(),
            duration,
            error: Some(error),
            pid: None,
        }
    }
}

/// Limit on a command when the runbook gives none.
const DEFAULT_CMD_TIMEOUT: Duration = Duration::from_secs(30);

/// Renders a `cmd` probe into a command: each `argv` element one
/// argument, values in `sh` shell-quoted.
pub(crate) fn prepare(cmd: &CmdProbe, renderer: &Renderer<'_>) -> Result<Prepared, RenderError> {
    let (program, mut target) = match (&cmd.argv, &cmd.sh) {
        (Some(argv), _) => {
            let argv = argv
                .iter()
                .enumerate()
                .map(|(i, arg)| renderer.text(&format!("cmd.argv[{i}]"), arg))
                .collect::<Result<Vec<_>, _>>()?;
            let line = argv.iter().map(|arg| shell_word(arg)).collect::<Vec<_>>().join(" ");
            (CmdProgram::Argv(argv), line)
        }
        (None, Some(sh)) => {
            let line = renderer.shell("cmd.sh", sh)?;
            // Shown as written, values substituted: what the operator would type.
            (CmdProgram::Shell(line.clone()), line)
        }
        (None, None) => (CmdProgram::Argv(Vec::new()), String::new()),
    };
    let env = cmd
        .env
        .iter()
        .map(|(name, value)| Ok((name.value.clone(), renderer.text(&format!("cmd.env.{}", name.value), value)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let cwd = match &cmd.cwd {
        Some(cwd) => Some(renderer.text("cmd.cwd", cwd)?),
        None => None,
    };
    if let Some(cwd) = &cwd {
        target = format!("(cd {} && {target})", shell_word(cwd));
    }
    let stdin = match &cmd.stdin {
        Some(stdin) => Some(renderer.text("cmd.stdin", stdin)?),
        None => None,
    };
    let timeout = cmd.timeout.as_ref().map_or(DEFAULT_CMD_TIMEOUT, |t| t.0);
    let spec = CmdSpec { program, env, cwd: cwd.map(Into::into), stdin, timeout };
    Ok(Prepared { kind: ProbeKind::Cmd, target, probe: Arc::new(spec), timeout: Some(timeout) })
}

/// What a person calls the parts of a command's run.
pub(crate) const PARTS: super::Parts = super::Parts { text: "the standard output", took: "the command" };

/// How a person runs the same command by hand (`runbook render`): a
/// shell script, its input and its time limit.
pub(crate) fn by_hand(cmd: &CmdProbe) -> String {
    let mut script = String::new();
    if let Some(cwd) = &cmd.cwd {
        let _ = writeln!(script, "cd {}", shell_word(&cwd.value));
    }
    for (name, value) in &cmd.env {
        let _ = writeln!(script, "export {}={}", name.value, shell_word(&value.value));
    }
    if let Some(argv) = &cmd.argv {
        let words: Vec<String> = argv.value.iter().map(|word| shell_word(&word.value)).collect();
        script.push_str(&words.join(" "));
    }
    if let Some(sh) = &cmd.sh {
        script.push_str(sh.value.trim_end());
    }
    let fence = super::fence_for(&script);
    let mut out = format!("{fence}sh\n{}\n{fence}\n\n", script.trim_end());
    if cmd.sh.as_ref().is_some_and(|sh| sh.value.contains("{{")) {
        // In an `argv` each value is shown quoted already; in a script the
        // quoting happens when the value is filled in.
        out.push_str(
            "Fill in each `{{ … }}` as one shell word, quoted (`'/var/log/my app.log'`), as `runbook` does.\n\n",
        );
    }
    if let Some(stdin) = &cmd.stdin {
        let fence = super::fence_for(&stdin.value);
        let _ = writeln!(out, "with this on its standard input:\n\n{fence}\n{}\n{fence}\n", stdin.value.trim_end());
    }
    if let Some(timeout) = &cmd.timeout {
        let _ = writeln!(out, "Give it at most {}.\n", timeout.value);
    }
    out
}

impl CmdObservation {
    /// A command that got no answer (`runbook test`).
    pub(crate) fn failed(error: ProbeError, took: Duration) -> Self {
        let timed_out = error.kind == ErrorKind::Timeout;
        Self { timed_out, ..Self::not_run(error, took) }
    }

    /// The command a case mocks: its exit code and output.
    pub(crate) fn mocked(cmd: &CmdMock) -> Self {
        let stdout = match (&cmd.json, &cmd.stdout) {
            (Some(json), _) => json.value.to_string(),
            (None, Some(stdout)) => stdout.value.clone(),
            (None, None) => String::new(),
        };
        Self {
            exit_code: Some(cmd.exit_code.as_ref().map_or(0, |code| code.value)),
            signal: None,
            timed_out: false,
            stdout: mocked_text(&stdout),
            stderr: mocked_text(cmd.stderr.as_ref().map_or("", |stderr| stderr.value.as_str())),
            duration: mocked_duration(cmd.duration.as_ref()),
            error: None,
            pid: None,
        }
    }
}

/// A command that was not found (exit 127) or could not be executed (exit
/// 126): the check never ran, which is `spawn_failed` as for `argv:`, not
/// an answer to judge ("tool not installed" is not "process not running").
/// POSIX reserves these codes for that in `sh`, and `env`, `timeout`,
/// `nohup`, `nice` and `xargs` use them for the program they start, so the
/// code alone decides: stderr may be redirected (`2>/dev/null`, `2>&1`).
/// An expectation that names the exit code judges it as usual. A shell's
/// own "not found" line on stderr (`sh: 1: pgrepp: not found`) is
/// `spawn_failed` whatever the exit code: inside `if` or a pipeline
/// (`pgrepp -x d | wc -l` exits 0) the missing tool does not decide it;
/// one on the left of `||` in the command that `ran` has its fallback
/// answer instead.
fn not_run(cmd: &CmdObservation, expect: &[Spanned<Expectation>], ran: &str) -> Option<ProbeError> {
    let Some(code) = cmd.exit_code else {
        // Killed by a signal (the OOM killer, a watchdog, `kill -9`): what
        // it printed is part of an answer, as after a timeout, whatever the
        // expectations read (`contains: FATAL` over half a log is false,
        // `exit_code: { ne: 1 }` would hold).
        let signal = cmd.signal?;
        let name = Signal::try_from(signal).map_or_else(|_| String::new(), |name| format!(" ({name})"));
        return Some(ProbeError::new(
            ErrorKind::Killed,
            format!(
                "the command was killed by signal {signal}{name} before it exited: what it printed is not its whole \
                 answer, and it has no exit code"
            ),
        ));
    };
    if let Some(error) = killed_child(code).filter(|_| !names_exit_code(expect, code)) {
        return Some(error);
    }
    let not_found = |line: &&str| {
        SHELL_NOT_FOUND.captures(line).is_some_and(|found| {
            let name = found.get(1).or_else(|| found.get(2)).map_or("", |name| name.as_str());
            !super::shell_fallback::falls_back(ran, name)
        })
    };
    if let Some(line) = cmd.stderr.text().lines().find(not_found) {
        return Some(ProbeError::new(
            ErrorKind::SpawnFailed,
            format!("a command was not found (the shell said `{}`; exit {code})", line.trim()),
        ));
    }
    let why = match code {
        127 => "the command was not found",
        126 => "the command could not be executed",
        _ => return None,
    };
    if names_exit_code(expect, code) {
        return None;
    }
    let first_line = |text: String| text.lines().map(str::trim).find(|line| !line.is_empty()).map(str::to_owned);
    // With `2>&1` the shell's complaint is on stdout.
    let said = first_line(cmd.stderr.text())
        .or_else(|| first_line(cmd.stdout.text()).filter(|line| line.contains("not found") || line.contains("denied")))
        .unwrap_or_else(|| "stderr is empty (redirected?), and the exit code says so".to_owned());
    Some(ProbeError::new(ErrorKind::SpawnFailed, format!("{why} (exit {code}): {said}")))
}

/// The line a shell writes for a command it cannot find: dash's
/// `sh: 1: NAME: not found`, bash's `bash: line 1: NAME: command not
/// found`, busybox's `sh: NAME: not found`, zsh's `zsh: command not found:
/// NAME`; `NAME` is its first or second group.
static SHELL_NOT_FOUND: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:/(?:usr/)?bin/)?(?:sh|bash|dash|ash|ksh)(?:: line \d+|: \d+)?: (\S+): (?:command )?not found\s*$|^zsh: command not found: (\S+)\s*$",
    )
    .expect("valid regex")
});

/// Whether an expectation compares `exit_code` with `code` itself.
/// A program the command ran that a signal killed (the OOM killer's
/// SIGKILL, a watchdog's SIGTERM, a crash), as the shell or a wrapper
/// (`docker run`, `timeout -s KILL`) reports it: exit 128 + the signal.
/// Under `sh:` the program is the shell's child, so its kill is the
/// shell's exit status, not the shell's own signal. A pipe closed early
/// (SIGPIPE, 141) and an interrupt (130) are not kills.
fn killed_child(code: i32) -> Option<ProbeError> {
    let signal = Signal::try_from(code.checked_sub(128)?).ok()?;
    let kills = [
        Signal::SIGKILL,
        Signal::SIGTERM,
        Signal::SIGABRT,
        Signal::SIGSEGV,
        Signal::SIGBUS,
        Signal::SIGILL,
        Signal::SIGFPE,
    ];
    kills.contains(&signal).then(|| {
        ProbeError::new(
            ErrorKind::Killed,
            format!(
                "a program the command ran was killed by signal {} ({signal}): it exited {code}, 128 + the signal, \
                 so what it printed is not its whole answer (an `exit_code` expectation naming {code} judges it \
                 instead)",
                signal as i32
            ),
        )
    })
}

fn names_exit_code(expect: &[Spanned<Expectation>], code: i32) -> bool {
    let is_code = |value: &Value| value.as_i64() == Some(i64::from(code));
    expect.iter().any(|expectation| match expectation.exit_code.as_ref().map(|expected| &expected.value) {
        Some(Expected::Value(value)) => is_code(value),
        Some(Expected::Predicates(predicates)) => {
            [&predicates.eq, &predicates.ne].into_iter().flatten().any(|value| is_code(value))
                || [&predicates.in_, &predicates.not_in].into_iter().flatten().any(|list| list.iter().any(is_code))
        }
        None => false,
    })
}

/// What `steps.ID` holds of a `cmd` probe, named like its subjects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmdFacts {
    /// The exit code; none when a signal ended it or it did not start.
    pub exit_code: Option<i32>,
    /// The signal that ended it.
    pub signal: Option<i32>,
    /// Whether its timeout ended it.
    pub timed_out: bool,
    /// Its stdout read as JSON, when it is JSON and was kept whole.
    #[serde(default, deserialize_with = "crate::step_facts::present", skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// Its stdout as kept, without the final newline.
    pub stdout: String,
    /// Its stderr as kept, without the final newline.
    pub stderr: String,
    /// How much of stdout's middle was dropped to keep it bounded.
    pub stdout_dropped_bytes: u64,
    /// How much of stderr's middle was dropped.
    pub stderr_dropped_bytes: u64,
}

impl CmdObservation {
    /// What `steps.ID` holds of it.
    pub(crate) fn step_facts(&self) -> CmdFacts {
        CmdFacts {
            exit_code: self.exit_code,
            signal: self.signal,
            timed_out: self.timed_out,
            json: serde_json::from_str::<Value>(&self.stdout.document()).ok().filter(|_| self.stdout.is_complete()),
            stdout: self.stdout.as_read(),
            stderr: self.stderr.as_read(),
            stdout_dropped_bytes: self.stdout.dropped_bytes,
            stderr_dropped_bytes: self.stderr.dropped_bytes,
        }
    }
}

impl Redact for CmdFacts {
    fn redact(&mut self, redactor: &Redactor) {
        let Self {
            exit_code: _,
            signal: _,
            timed_out: _,
            json,
            stdout,
            stderr,
            stdout_dropped_bytes: _,
            stderr_dropped_bytes: _,
        } = self;
        json.redact(redactor);
        stdout.redact(redactor);
        stderr.redact(redactor);
    }
}

impl Observed for CmdObservation {
    fn not_run(&self, expect: &[Spanned<Expectation>], ran: &str) -> Option<ProbeError> {
        not_run(self, expect, ran)
    }

    fn duration(&self) -> Duration {
        self.duration
    }

    fn take_no_time(&mut self) {
        self.duration = Duration::ZERO;
    }

    fn error(&self) -> Option<&ProbeError> {
        self.error.as_ref()
    }

    fn redact(&mut self, redactor: &Redactor) -> Vec<(String, String)> {
        if let Some(error) = &mut self.error {
            redactor.in_place(&mut error.message);
        }
        let mut pieces = self.stdout.redact(redactor);
        pieces.extend(self.stderr.redact(redactor));
        pieces
    }

    fn outputs(&self) -> Vec<(&'static str, &Captured)> {
        vec![("stdout", &self.stdout), ("stderr", &self.stderr)]
    }

    fn subject(&self, subject: Subject, _: &Expectation) -> Option<(String, Option<Value>)> {
        (subject == Subject::ExitCode).then(|| (subject.name().to_owned(), self.exit_code.map(Value::from)))
    }

    fn capture(&self, capture: &Capture) -> Option<Value> {
        let output = match (&capture.stdout, &capture.stderr) {
            (Some(_), _) => &self.stdout,
            (None, Some(_)) => &self.stderr,
            (None, None) => return None,
        };
        heard(output, self.error.as_ref()).then(|| Value::from(output.as_read()))
    }

    fn facts(&self) -> Vec<String> {
        let mut facts = Vec::new();
        facts.extend(self.exit_code.map(|code| format!("exit_code {code}")));
        facts.extend(self.signal.map(|signal| format!("signal {signal}")));
        facts.push(format!("in {}", took(self.duration)));
        facts
    }

    fn headline(&self) -> Option<String> {
        match (self.exit_code, self.signal) {
            (Some(code), _) => Some(format!("exit {code} in {}", took(self.duration))),
            (None, Some(signal)) => Some(format!("killed by signal {signal} after {}", took(self.duration))),
            (None, None) => None,
        }
    }

    fn as_mock(&self, _: &str) -> Value {
        serde_json::json!({ "cmd": {
            "exit_code": self.exit_code,
            "stdout": self.stdout.text(),
            "stderr": self.stderr.text(),
            "duration": format!("{}ms", millis(self.duration)),
        } })
    }
}

impl Probe for CmdSpec {
    fn observe<'a>(&'a self, limits: &'a Limits, cancel: &'a CancellationToken) -> ProbeFuture<'a> {
        Box::pin(async move { Observation::Cmd(self.run(limits, cancel).await) })
    }
}

/// How the wait for the command ended.
enum Ending {
    /// The command was reaped and its output closed.
    Finished(io::Result<ExitStatus>),
    /// The time limit passed.
    TimedOut,
    /// The cancellation token fired.
    Interrupted,
}

impl CmdSpec {
    /// The program's name, for messages.
    fn program_name(&self) -> &str {
        match &self.program {
            CmdProgram::Argv(argv) => argv.first().map_or("", String::as_str),
            CmdProgram::Shell(_) => "sh",
        }
    }

    fn command(&self) -> Result<Command, ProbeError> {
        let mut command = match &self.program {
            CmdProgram::Argv(argv) => {
                let Some((program, arguments)) = argv.split_first() else {
                    return Err(ProbeError::new(ErrorKind::SpawnFailed, "`argv` is empty: there is no program to run"));
                };
                let mut command = Command::new(resolve_program(program, self.path()));
                command.args(arguments);
                command
            }
            CmdProgram::Shell(script) => {
                let mut command = Command::new("sh");
                command.arg("-c").arg(script);
                command
            }
        };
        command
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { dev_null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        super::run_mark::mark(&mut command);
        Ok(command)
    }

    /// The error for a failed spawn. A missing working directory gives the
    /// same `ENOENT` as a missing program, so it is told apart here.
    fn spawn_error(&self, error: &io::Error) -> ProbeError {
        let program = self.program_name();
        let message = match &self.cwd {
            Some(cwd) if !cwd.is_dir() => {
                format!("cannot run `{program}`: working directory `{}` does not exist", cwd.display())
            }
            _ => format!("cannot run `{program}`: {error}"),
        };
        ProbeError::new(ErrorKind::SpawnFailed, message)
    }

    async fn run(&self, limits: &Limits, cancel: &CancellationToken) -> CmdObservation {
        let program = self.program_name();
        if cancel.is_cancelled() {
            let error = ProbeError::new(ErrorKind::Interrupted, format!("`{program}` was not started: interrupted"));
            return CmdObservation::not_run(error, Duration::ZERO);
        }
        let started = Instant::now();
        let mut child = match self.spawn() {
            Ok(child) => child,
            Err(error) => return CmdObservation::not_run(error, started.elapsed()),
        };
        let pid = child.id();
        let mut group = GroupGuard::new(pid.and_then(|pid| i32::try_from(pid).ok()).map(Pid::from_raw));
        let mut output = Output::new(&mut child, limits.max_capture_bytes);
        let stdin = child.stdin.take();

        let ending = {
            let deadline = tokio::time::sleep(self.timeout);
            let feeding = feed(stdin, self.stdin.as_deref().unwrap_or_default().as_bytes());
            let running = async { tokio::join!(child.wait(), output.drain()) };
            tokio::pin!(deadline, feeding, running);
            let mut fed = false;
            loop {
                tokio::select! {
                    biased;
                    (status, ()) = &mut running => break Ending::Finished(status),
                    // The command is done when it is reaped and its output
                    // closed, whether or not it read all its input.
                    () = &mut feeding, if !fed => fed = true,
                    () = cancel.cancelled() => break Ending::Interrupted,
                    () = &mut deadline => break Ending::TimedOut,
                }
            }
        };

        let outcome = match ending {
            Ending::Finished(Ok(status)) => Ok(status),
            Ending::Finished(Err(error)) => {
                Err(ProbeError::new(ErrorKind::Io, format!("cannot wait for `{program}`: {error}")))
            }
            Ending::TimedOut => Err(self.timeout_error(&mut child)),
            Ending::Interrupted => Err(ProbeError::new(ErrorKind::Interrupted, format!("`{program}` was interrupted"))),
        };
        let (status, error) = match outcome {
            Ok(status) => (Some(status), None),
            Err(error) => (stop(&mut child, &mut output, group.pgid, limits.kill_grace).await, Some(error)),
        };
        // Reaped, or killed and waited for: nothing left to kill on drop.
        group.release();
        CmdObservation {
            exit_code: status.and_then(|status| status.code()),
            signal: status.and_then(|status| status.signal()),
            timed_out: error.as_ref().is_some_and(|error| error.kind == ErrorKind::Timeout),
            stdout: output.stdout,
            stderr: output.stderr,
            duration: started.elapsed(),
            error,
            pid,
        }
    }

    /// Starts the command. A program found on `PATH` by an earlier command
    /// is not looked for again; if it cannot be started (removed, replaced),
    /// it is looked for once more.
    fn spawn(&self) -> Result<Child, ProbeError> {
        match self.command()?.spawn() {
            Err(_) if self.forget_program() => self.command()?.spawn(),
            spawned => spawned,
        }
        .map_err(|error| self.spawn_error(&error))
    }

    /// Forgets where `PATH` led to this command's program; whether it was
    /// known.
    fn forget_program(&self) -> bool {
        match &self.program {
            CmdProgram::Argv(argv) => argv.first().is_some_and(|program| forget_resolved(program, self.path())),
            CmdProgram::Shell(_) => false,
        }
    }

    /// The `PATH` the command's `env` gives it, if it gives one.
    fn path(&self) -> Option<OsString> {
        self.env.iter().rev().find(|(name, _)| name == "PATH").map(|(_, value)| value.into())
    }

    fn timeout_error(&self, child: &mut Child) -> ProbeError {
        let program = self.program_name();
        let timeout = human(self.timeout);
        let message = if matches!(child.try_wait(), Ok(Some(_))) {
            format!("`{program}` exited, but a process it started kept its output open past the {timeout} timeout")
        } else {
            format!("`{program}` did not finish within {timeout}")
        };
        ProbeError::new(ErrorKind::Timeout, message)
    }
}

/// Where `PATH` lookups found programs, by PATH and program name: a run of
/// 2,000 commands searches once, not 2,000 times (each miss is a failed
/// `execve` in the child). A program found is not checked again at each
/// spawn (a `stat` a command): one that cannot be started is forgotten and
/// looked for again ([`CmdSpec::spawn`]).
static RESOLVED: LazyLock<Mutex<HashMap<(OsString, String), PathBuf>>> = LazyLock::new(Mutex::default);

/// The program to execute: `program` itself when it has a `/`, else the
/// first executable file of that name in `path` (or `$PATH`), as `execvp`
/// would find it; `program` unchanged when none is found, so that spawning
/// reports the error.
fn resolve_program(program: &str, path: Option<OsString>) -> PathBuf {
    if program.contains('/') || program.is_empty() {
        return PathBuf::from(program);
    }
    let Some(path) = path.or_else(|| std::env::var_os("PATH")) else {
        return PathBuf::from(program);
    };
    let key = (path, program.to_owned());
    let mut resolved = RESOLVED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = resolved.get(&key) {
        return found.clone();
    }
    let found = std::env::split_paths(&key.0)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate));
    match found {
        Some(found) => {
            resolved.insert(key, found.clone());
            found
        }
        None => PathBuf::from(program),
    }
}

/// Forgets where `PATH` (or `$PATH`) led to `program`; whether it was known.
fn forget_resolved(program: &str, path: Option<OsString>) -> bool {
    let Some(path) = path.or_else(|| std::env::var_os("PATH")) else { return false };
    RESOLVED.lock().unwrap_or_else(PoisonError::into_inner).remove(&(path, program.to_owned())).is_some()
}

/// `/dev/null` for a command's standard input: opened once, and each
/// command gets a copy of the descriptor (cheaper than opening the path
/// again); std's own where it cannot be opened.
fn dev_null() -> Stdio {
    static DEV_NULL: LazyLock<Option<File>> = LazyLock::new(|| File::open("/dev/null").ok());
    DEV_NULL.as_ref().and_then(|file| file.try_clone().ok()).map_or_else(Stdio::null, Stdio::from)
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Stops the command's process group: SIGTERM, up to `grace` for the whole
/// group to exit (reading what it prints meanwhile), SIGKILL to whatever is
/// left, then the child is reaped. Returns the child's status, if it could
/// be reaped.
async fn stop(child: &mut Child, output: &mut Output, pgid: Option<Pid>, grace: Duration) -> Option<ExitStatus> {
    signal_group(pgid, Signal::SIGTERM);
    let grace = tokio::time::sleep(grace);
    tokio::pin!(grace);
    tokio::select! {
        _ = async { tokio::join!(child.wait(), output.drain()) } => {}
        () = &mut grace => {}
    }
    // The leader may be gone while a member that ignores SIGTERM, or has
    // closed its output, lives on: the grace is for the whole group.
    while group_alive(pgid) {
        tokio::select! {
            () = &mut grace => break,
            () = tokio::time::sleep(POLL) => {}
        }
    }
    if group_alive(pgid) {
        signal_group(pgid, Signal::SIGKILL);
    }
    // The group is dead, so its ends of the pipes are closed and reading
    // ends, except when a process that left the group holds them.
    let _ = tokio::time::timeout(DRAIN_AFTER_KILL, async { tokio::join!(child.wait(), output.drain()) }).await;
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    // Only a leader that moved to another group gets here.
    let _ = child.start_kill();
    tokio::time::timeout(DRAIN_AFTER_KILL, child.wait()).await.ok().and_then(Result::ok)
}

fn signal_group(pgid: Option<Pid>, signal: Signal) {
    if let Some(pgid) = pgid {
        // ESRCH (the group is gone already) is the expected failure.
        let _ = killpg(pgid, signal);
    }
}

/// Whether any process of the group still runs. A zombie does not: it is
/// dead, and only its parent can reap it. When `sh -c` dies first, the
/// command it ran is reparented to PID 1, which in a container may reap
/// late or never: counting it kept `sh: sleep 30` with `timeout: 1s` alive
/// for the whole grace. Where `/proc` cannot be read, any member counts.
fn group_alive(pgid: Option<Pid>) -> bool {
    let Some(pgid) = pgid else { return false };
    if killpg(pgid, None) == Err(Errno::ESRCH) {
        return false;
    }
    let Ok(processes) = std::fs::read_dir("/proc") else { return true };
    processes.flatten().any(|process| {
        let stat = std::fs::read_to_string(process.path().join("stat")).unwrap_or_default();
        // `PID (COMM) STATE PPID PGRP …`; COMM may hold spaces and `)`.
        let mut fields = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace();
        let (state, group) = (fields.next(), fields.nth(1));
        group.and_then(|group| group.parse::<i32>().ok()) == Some(pgid.as_raw()) && !matches!(state, Some("Z" | "X"))
    })
}

/// Kills the command's process group if the probe is dropped before the
/// command ended (a step timeout, an abandoned run): `kill_on_drop` alone
/// reaches only the direct child.
struct GroupGuard {
    /// The group to kill; `None` once the command has ended.
    pgid: Option<Pid>,
}

impl GroupGuard {
    fn new(pgid: Option<Pid>) -> Self {
        if let Some(pgid) = pgid {
            LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner).push(pgid);
        }
        Self { pgid }
    }

    /// The command has ended: nothing to kill any more.
    fn release(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner).retain(|live| *live != pgid);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        signal_group(self.pgid, Signal::SIGKILL);
        self.release();
    }
}

/// Process groups of commands still running, for [`kill_running_commands`].
static LIVE_GROUPS: Mutex<Vec<Pid>> = Mutex::new(Vec::new());

/// Kills (SIGKILL) the process group of every command still running: for
/// a process about to exit without waiting for probes to stop (a second
/// Ctrl-C), so that no command outlives it.
pub fn kill_running_commands() {
    for pgid in LIVE_GROUPS.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
        let _ = killpg(pgid, Signal::SIGKILL);
    }
}

/// The command's output pipes and what was read from them. Draining can be
/// interrupted and resumed: nothing read is lost between calls.
struct Output {
    stdout_pipe: Option<ChildStdout>,
    stderr_pipe: Option<ChildStderr>,
    stdout: Captured,
    stderr: Captured,
    limit: usize,
}

impl Output {
    fn new(child: &mut Child, limit: usize) -> Self {
        Self {
            stdout_pipe: child.stdout.take(),
            stderr_pipe: child.stderr.take(),
            stdout: Captured::new(),
            stderr: Captured::new(),
            limit,
        }
    }

    /// Reads both pipes concurrently until both are closed.
    async fn drain(&mut self) {
        let limit = self.limit;
        tokio::join!(
            read_into(&mut self.stdout_pipe, &mut self.stdout, limit),
            read_into(&mut self.stderr_pipe, &mut self.stderr, limit),
        );
    }
}

/// Reads `pipe` in chunks into `captured` until end of file, then drops the
/// pipe. Cancel-safe: every chunk read is pushed before the next await.
async fn read_into<R: AsyncRead + Unpin>(pipe: &mut Option<R>, captured: &mut Captured, limit: usize) {
    let Some(reader) = pipe.as_mut() else { return };
    // Capacity, not length: nothing is zeroed, and a command that prints
    // nothing never touches the buffer's pages.
    let mut buffer = Vec::with_capacity(FIRST_CHUNK);
    loop {
        buffer.clear();
        match reader.read_buf(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => {
                captured.push(&buffer, limit);
                if read == buffer.capacity() && read < CHUNK {
                    buffer = Vec::with_capacity(CHUNK);
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            // A pipe that fails to read has nothing more to give.
            Err(_) => break,
        }
    }
    *pipe = None;
}

/// Writes `input` to the command, then closes its standard input.
async fn feed(stdin: Option<ChildStdin>, input: &[u8]) {
    if let Some(mut stdin) = stdin {
        // A command may exit without reading its input: the broken pipe is
        // not the probe's failure.
        let _ = stdin.write_all(input).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(program: CmdProgram) -> CmdSpec {
        CmdSpec { program, env: Vec::new(), cwd: None, stdin: None, timeout: Duration::from_secs(5) }
    }

    #[test]
    fn messages_name_the_program() {
        assert_eq!(spec(CmdProgram::Argv(vec!["curl".into(), "-s".into()])).program_name(), "curl");
        assert_eq!(spec(CmdProgram::Shell("curl -s | jq .".into())).program_name(), "sh");
        assert_eq!(spec(CmdProgram::Argv(Vec::new())).program_name(), "");
    }

    #[test]
    fn a_missing_working_directory_is_named() {
        let mut spec = spec(CmdProgram::Argv(vec!["true".into()]));
        spec.cwd = Some(PathBuf::from("/nonexistent/runbook-cwd"));
        let error = spec.spawn_error(&io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(error.kind, ErrorKind::SpawnFailed);
        assert_eq!(error.message, "cannot run `true`: working directory `/nonexistent/runbook-cwd` does not exist");
    }
}
