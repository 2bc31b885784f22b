//! `runbook run`: check the runbook, resolve inputs and answers, and walk
//! the triage tree with the terminal or scripted operator.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_engine::event::{EventSink, RunStatus};
use runbook_engine::inputs::{GivenInputs, InputError, resolve};
use runbook_engine::interpret::{
    Mode, Options, Resume, Services, compile_templates, resume as resume_runbook, run as run_runbook, run_id,
    unset_callee_inputs,
};
use runbook_engine::operator::{
    ActionAnswer, ActionRequest, CHECKLIST, InputRequest, InstructReply, Instruction, Operator, OperatorError,
    Question, Reply, Scripted, action_answer, scripted_answers, ticked_items, validate_answer, yes_or_no,
};
use runbook_engine::printable::printable_line;
use runbook_engine::record::{JOURNAL_FILE, Journal, resume_point};
use runbook_model::StepPath;
use runbook_model::{Level, Outcome, Plan, Runbook, StepKind, did_you_mean};
use serde_json::Value;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use tokio_util::sync::CancellationToken;

use super::print_stderr;
use crate::cli::{Color, Format, ResumeArgs, RunArgs, SessionArgs};
use crate::diagnostics::Renderer;
use crate::evidence::Look;
use crate::exit_code::ExitCode;
use crate::run_time::RunTime;
use crate::signals::{Caught, stopped_by};
use crate::terminal::Terminal;
use crate::verdict::FailOn;
use crate::view::{JsonLines, View};

pub(super) fn run(args: &RunArgs, color: Color) -> ExitCode {
    let interrupted = Caught::catch();
    match prepare_run(args, color, &interrupted) {
        Ok(code) | Err(code) => code,
    }
}

pub(super) fn resume(args: &ResumeArgs, color: Color) -> ExitCode {
    let interrupted = Caught::catch();
    match prepare_resume(args, color, &interrupted) {
        Ok(code) | Err(code) => code,
    }
}

/// Prints a usage error.
#[allow(clippy::needless_pass_by_value)] // used as `map_err(usage)` on `String` errors
fn usage(message: String) -> ExitCode {
    print_stderr(&format!("error: {message}\n"));
    ExitCode::Usage
}

/// What a run starts from: the runbook, the mode, where the record goes,
/// and for `resume`, the state it continues with.
struct Launch<'a> {
    plan: &'a Plan,
    path: &'a Path,
    sha256: String,
    mode: Mode,
    assume: HashMap<String, Outcome>,
    /// `--fail-on` as given, or for `resume` without one, the run's.
    fail_on: Vec<String>,
    record: RecordTo,
    journal: Option<Journal>,
    /// The clock and probes, shared by the interpreter and the journal.
    time: RunTime,
    /// Input values known already (a resumed run's), used when not given.
    known_inputs: IndexMap<String, Value>,
    resume: Option<Resume>,
}

/// The flags given with `--case` that a played case cannot honour.
fn flags_a_case_ignores(args: &RunArgs) -> Vec<&'static str> {
    let session = &args.session;
    [
        (!session.inputs.is_empty(), "`--input`"),
        (session.inputs_file.is_some(), "`--inputs`"),
        (!session.answers.is_empty(), "`--answer`"),
        (session.answers_file.is_some(), "`--answers`"),
        (session.accept_defaults, "`--accept-defaults`"),
        (session.yes, "`--yes`"),
        (session.format == Format::Json, "`--format json`"),
        (session.operator.is_some(), "`--operator`"),
        (!session.fail_on.is_empty(), "`--fail-on`"),
        (args.record_dir.is_some(), "`--record-dir`"),
    ]
    .into_iter()
    .filter_map(|(given, flag)| given.then_some(flag))
    .collect()
}

fn prepare_run(args: &RunArgs, color: Color, interrupted: &Arc<Caught>) -> Result<ExitCode, ExitCode> {
    let Some(runbook_path) = &args.path else {
        let case = args.case.as_deref().unwrap_or_default();
        let ignored = flags_a_case_ignores(args);
        if !ignored.is_empty() {
            return Err(usage(format!(
                "`--case` plays the case as its test file writes it (inputs, answers, the evidence view): {} \
                 would be ignored; change the case instead",
                ignored.join(", ")
            )));
        }
        let look = Look { color: color.enabled(std::io::stdout().is_terminal()), verbose: args.session.verbose };
        return Ok(super::test::watch_case(case, look, color));
    };
    // clap's `requires` lets `--read-only --assume` through; a read-only
    // run observes every check, so an assumption would be ignored.
    if !args.dry_run && !args.assume.is_empty() {
        return Err(usage(
            "`--assume` is for `--dry-run`, which observes nothing; a read-only run observes every check, so \
             it has nothing to assume: add `--dry-run` to preview a branch"
                .to_owned(),
        ));
    }
    super::not_a_test_file(runbook_path)?;
    let (plan, sha256) = load(runbook_path, color)?;
    let assume = assumptions(&args.assume, &plan).map_err(usage)?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.read_only {
        Mode::ReadOnly
    } else {
        Mode::Live
    };
    let record = match (&args.record_dir, args.no_record) {
        (_, true) => RecordTo::Nowhere,
        (Some(dir), false) => RecordTo::Dir(dir.clone()),
        (None, false) => RecordTo::Incidents,
    };
    // Absolute in the journal, so that `runbook resume` finds the file from
    // any directory.
    let path = runbook_path.canonicalize().unwrap_or_else(|_| runbook_path.clone());
    let launch = Launch {
        plan: &plan,
        path: &path,
        sha256,
        mode,
        assume,
        fail_on: args.session.fail_on.clone(),
        record,
        journal: None,
        time: RunTime::from_env(None),
        known_inputs: IndexMap::new(),
        resume: None,
    };
    execute(&args.session, color, launch, interrupted)
}

fn prepare_resume(args: &ResumeArgs, color: Color, interrupted: &Arc<Caught>) -> Result<ExitCode, ExitCode> {
    let journal_path = args.dir.join(JOURNAL_FILE);
    let entries = runbook_engine::record::read(&journal_path).map_err(|error| {
        print_stderr(&format!("error: cannot read the journal `{}`: {error}\n", journal_path.display()));
        ExitCode::Io
    })?;
    let point =
        resume_point(&entries).map_err(|error| usage(format!("cannot resume `{}`: {error}", args.dir.display())))?;
    // Before the journal's sync thread starts.
    crate::own_environment::carry_run_id(&point.resume.run_id);
    let path = PathBuf::from(&point.path);
    let (plan, sha256) = load(&path, color)?;
    let runbook = &plan.runbook;
    // The runbook, then each runbook it can call (loaded with it just now),
    // against the text the run started with: resuming with another text
    // could follow steps that did not exist.
    let loaded = runbook_engine::interpret::called_files(&plan, &path);
    let mut changes = Vec::new();
    if sha256 != point.sha256 {
        changes.push(format!(
            "`{}` changed since the run started (SHA-256 {} then, {} now)",
            path.display(),
            short_hash(&point.sha256),
            short_hash(&sha256)
        ));
    }
    for then in &point.calls {
        let now = loaded.iter().find(|(file, _)| file.display().to_string() == then.path);
        let change = match now.map(|(_, called)| called.sha256.as_str()) {
            Some(now) if now == then.sha256 => continue,
            Some(now) => format!(
                "the called runbook `{}` changed since the run started (SHA-256 {} then, {} now)",
                then.path,
                short_hash(&then.sha256),
                short_hash(now)
            ),
            None => format!("the called runbook `{}` is no longer called by `{}`", then.path, path.display()),
        };
        changes.push(change);
    }
    if let Some(change) = changes.first().filter(|_| !args.allow_changed) {
        return Err(usage(format!(
            "{change}: resuming could follow steps that did not exist. Pass --allow-changed to resume with the new \
             text."
        )));
    }
    let runbook_changed = !changes.is_empty();
    // Refused before anything is journaled: with the step put back, the
    // run can still be resumed.
    if let Some(step) = point.resume.step.as_deref().filter(|step| plan.flow.position(step).is_none()) {
        return Err(usage(format!(
            "step `{step}`, where the run stopped, is no longer in `{}`: put it back to resume the run, or start a \
             new one",
            path.display()
        )));
    }
    // So is one without an action of a called runbook that ran, or may
    // have, before the stop: under another name it would run again unasked.
    let gone = point.resume.actions_ran.iter().chain(point.resume.actions_done.keys()).find(|name| {
        !holding_runbook(&plan, name).is_ok_and(|(runbook, id, _)| runbook.steps.iter().any(|s| s.id.value == id))
    });
    if let Some(name) = gone {
        return Err(usage(format!(
            "step `{name}`, an action that ran or may have run before the run stopped, is no longer in the runbook \
             that holds it: put it back to resume the run (so that it is not run again unasked), or start a new one"
        )));
    }
    // A resumed run keeps its inputs: only secrets (redacted in the
    // journal) are given again.
    let secret = |name: &str| runbook.inputs.iter().any(|(declared, input)| declared.as_str() == name && input.secret);
    let given = given_inputs(&args.session).map_err(usage)?;
    let changed_inputs: Vec<&str> = given
        .text
        .iter()
        .map(|(name, _)| name.as_str())
        .chain(given.typed.keys().map(String::as_str))
        .filter(|name| !secret(name))
        .collect();
    if let Some(name) = changed_inputs.first() {
        return Err(usage(format!(
            "input `{name}` cannot change on resume: the run keeps the inputs it started with (only secret inputs \
             are given again)"
        )));
    }
    // A secret that had a value in the run must be given again: an
    // optional one would quietly become none, a defaulted one its default.
    let given_names: Vec<&str> =
        given.text.iter().map(|(name, _)| name.as_str()).chain(given.typed.keys().map(String::as_str)).collect();
    let not_given_again = runbook.inputs.iter().find(|(name, input)| {
        input.secret
            && !input.is_required()
            && point.inputs.get(name.as_str()).is_some_and(|value| !value.is_null())
            && !given_names.contains(&name.as_str())
            && input.env.as_ref().is_none_or(|var| std::env::var_os(&var.value).is_none())
    });
    if let Some((name, input)) = not_given_again {
        let name = name.as_str();
        let from_env = input.env.as_ref().map(|var| format!("${} or ", var.value)).unwrap_or_default();
        return Err(usage(format!(
            "secret input `{name}` had a value in the run, and secrets are not kept in the journal: give it again ({from_env}--input {name}=…), or the run would go on without it"
        )));
    }
    // So must a called runbook's secret read from the environment.
    for then in &point.calls {
        let Some((_, called)) = loaded.iter().find(|(file, _)| file.display().to_string() == then.path) else {
            continue;
        };
        let unset = then.env_secrets.iter().find_map(|name| {
            let var = called.plan.runbook.inputs.get(name.as_str())?.env.as_ref()?;
            std::env::var_os(&var.value).is_none().then_some((name, &var.value))
        });
        if let Some((name, var)) = unset {
            return Err(usage(format!(
                "secret input `{name}` of the called runbook `{}` had a value in the run (from ${var}), and secrets \
                 are not kept in the journal: set ${var} again, or the call would go on without it",
                then.path
            )));
        }
    }
    // The journal's inputs, except secrets (redacted there): those come
    // from their `env` variable or `--input` again.
    let known_inputs = point
        .inputs
        .iter()
        .filter(|(name, value)| {
            !value.is_null()
                && runbook.inputs.iter().any(|(declared, input)| declared.as_str() == *name && !input.secret)
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    // On virtual time, the resumption goes on from the journal's last time.
    let time = RunTime::from_env(entries.last().map(|entry| entry.at.time()));
    let journal = Journal::append(&args.dir, Arc::clone(&time.clock)).map_err(|error| {
        print_stderr(&format!("error: cannot append to the journal `{}`: {error}\n", journal_path.display()));
        ExitCode::Io
    })?;
    // Once the journal is ours: while the run still goes, its commands
    // are not leftovers to stop.
    warn_of_leftovers(&point.resume.run_id);
    let mut resume = point.resume;
    resume.runbook_changed = runbook_changed;
    let launch = Launch {
        plan: &plan,
        path: &path,
        sha256,
        mode: point.mode,
        assume: point.assume.into_iter().collect(),
        fail_on: if args.session.fail_on.is_empty() { point.fail_on } else { args.session.fail_on.clone() },
        record: RecordTo::Dir(args.dir.clone()),
        journal: Some(journal),
        time,
        known_inputs,
        resume: Some(resume),
    };
    execute(&args.session, color, launch, interrupted)
}

/// Says which commands the run started before it was killed are still
/// running (SIGKILL leaves them be): an action among them may still be at
/// work, and running it again would start a second copy beside it. Each is
/// named by its program only: its arguments may hold a secret (a token
/// passed in `argv`), which this warning, printed before the run's secrets
/// are known again, could not redact.
fn warn_of_leftovers(run_id: &str) {
    let leftovers = runbook_engine::probe::still_running(run_id);
    if leftovers.is_empty() {
        return;
    }
    let mut groups: Vec<i32> = leftovers.iter().map(|leftover| leftover.group).collect();
    groups.sort_unstable();
    groups.dedup();
    let listed: Vec<String> = leftovers
        .iter()
        .map(|leftover| {
            let program = leftover.command.split(' ').next().unwrap_or_default();
            let program = program.rsplit('/').next().unwrap_or(program);
            format!("{} `{}` (group {})", leftover.pid, printable_line(program), leftover.group)
        })
        .collect();
    let kill: Vec<String> = groups.iter().map(|group| format!("kill -- -{group}")).collect();
    let show: Vec<String> = groups.iter().map(|group| format!("ps -o pid,args -g {group}")).collect();
    print_stderr(&format!(
        "warning: commands this run started before it stopped are still running: {}
  an action among them may \
         still be at work: wait for them to end, or stop them ({}), before running it again; `{}` shows their \
         arguments
",
        listed.join(", "),
        kill.join("; "),
        show.join("; ")
    ));
}

/// Where a run's record goes.
enum RecordTo {
    /// `--no-record`.
    Nowhere,
    /// `--record-dir DIR`, or the directory `resume` continues.
    Dir(PathBuf),
    /// `incidents/RUN-ID` (see [`incidents_dir`]).
    Incidents,
}

/// `incidents/<run id>`, with `-2`, `-3`, … when a run of the same
/// runbook started in the same second.
fn incidents_dir(run_id: &str) -> PathBuf {
    let incidents = Path::new("incidents");
    (1..10_000)
        .map(|n| incidents.join(if n == 1 { run_id.to_owned() } else { format!("{run_id}-{n}") }))
        .find(|dir| !dir.exists())
        .unwrap_or_else(|| incidents.join(run_id))
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn execute(
    session: &SessionArgs,
    color: Color,
    launch: Launch<'_>,
    interrupted: &Arc<Caught>,
) -> Result<ExitCode, ExitCode> {
    let plan = launch.plan;
    let runbook = &plan.runbook;
    let answers = answers(session, plan).map_err(usage)?;
    let fail_on = FailOn::parse(&launch.fail_on).map_err(usage)?;
    for warning in fail_on.never_matching(runbook) {
        print_stderr(&format!("warning: {warning}\n"));
    }
    let mut given = given_inputs(session).map_err(usage)?;
    for (name, value) in launch.known_inputs {
        let named = given.text.iter().any(|(given, _)| *given == name) || given.typed.contains_key(&name);
        if !named {
            given.typed.insert(name, value);
        }
    }

    let interactive = !session.non_interactive && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let look = Look { color: color.enabled(std::io::stdout().is_terminal()), verbose: session.verbose };
    let prompt_look = Look { color: color.enabled(std::io::stderr().is_terminal()), verbose: session.verbose };
    let mut operator = Answering {
        script: Scripted { answers, accept_defaults: session.accept_defaults, yes: session.yes },
        person: interactive.then(|| Terminal::new(prompt_look, Arc::clone(interrupted))),
        asked: HashSet::new(),
    };
    let env = |name: &str| std::env::var(name).ok();
    let inputs = match resolve(runbook, &given, &env, Some(&mut operator)) {
        Ok(inputs) => inputs,
        Err(InputError::Interrupted(_)) => return Err(ExitCode::Interrupted),
        Err(error @ InputError::TerminalGone { .. }) => {
            print_stderr(&format!("error: {error}\n"));
            return Err(ExitCode::Interrupted);
        }
        Err(error @ InputError::Missing { .. }) => {
            let InputError::Missing { name, env, .. } = &error else { unreachable!() };
            let from_env = env.as_ref().map(|var| format!(" or set ${var}")).unwrap_or_default();
            return Err(usage(format!("{error}\n  pass --input {name}=VALUE{from_env}")));
        }
        Err(error) => return Err(usage(error.to_string())),
    };
    // A called runbook's input read from the environment is settled now
    // too: a run must not stop at the call, in the middle of the incident.
    if let Some(unset) = unset_callee_inputs(plan, launch.path).first() {
        return Err(usage(format!(
            "step `{}` calls `{}`, whose input `{}` is required and has no value: set ${} (the call does not give \
             it), or the run would stop at that call",
            unset.step,
            unset.file.display(),
            unset.input,
            unset.env
        )));
    }
    // The run's id and its record directory are named from this one instant.
    let started = launch.time.clock.wall();
    if launch.resume.is_none() {
        // Before the journal's sync thread and the runtime start.
        crate::own_environment::carry_run_id(&run_id(started, &runbook.id.value));
    }
    let record_dir = match launch.record {
        RecordTo::Nowhere => None,
        RecordTo::Dir(dir) => Some(dir),
        RecordTo::Incidents => Some(incidents_dir(&run_id(started, &runbook.id.value))),
    };
    let options = Options {
        mode: launch.mode,
        assume: launch.assume,
        fail_on: launch.fail_on.clone(),
        interactive,
        operator: session.operator.clone().unwrap_or_else(default_operator),
        host: nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
        sha256: launch.sha256,
        started: Some(started),
        ..Options::default()
    };
    // A new record's journal is created once the inputs are settled (a
    // prompt interrupted, a bad value: nothing to record) and before the
    // first probe: an unwritable directory or a full disk shows now, not
    // after the triage.
    let journal = match (launch.journal, &record_dir) {
        (Some(journal), _) => Some(journal),
        (None, Some(dir)) => Some(Journal::create(dir, Arc::clone(&launch.time.clock)).map_err(|error| {
            print_stderr(&format!("error: cannot write the incident record in `{}`: {error}\n", dir.display()));
            ExitCode::Io
        })?),
        (None, None) => None,
    };
    let view: Box<dyn EventSink> = match session.format {
        Format::Human => {
            let view = View::new(look, std::io::stderr().is_terminal());
            // A resumed run emits `resumed`, not `run_started`: the view
            // learns whether prompts show the questions.
            Box::new(match launch.resume {
                Some(_) => view.resuming(interactive),
                None => view,
            })
        }
        Format::Json => Box::new(JsonLines),
    };
    let mut sink = Sinks { view, journal };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|error| {
        print_stderr(&format!("error: cannot start the runtime: {error}\n"));
        ExitCode::Io
    })?;
    let cancel = CancellationToken::new();
    let report = runtime.block_on(async {
        watch_signals(&cancel, interrupted, &options.stopped_by, record_dir.as_deref());
        let services = Services {
            operator: &mut operator,
            sink: &mut sink,
            clock: &*launch.time.clock,
            probes: Arc::clone(&launch.time.probes),
            cancel,
        };
        let templates = compile_templates(plan, options.mode);
        match &launch.resume {
            Some(state) => resume_runbook(plan, &templates, launch.path, &inputs, &options, services, state).await,
            None => Ok(run_runbook(plan, &templates, launch.path, &inputs, &options, services).await),
        }
    });
    runtime.shutdown_background();
    // A resume refused before its first event leaves the journal and the
    // record as they were.
    let report = report.map_err(|error| {
        let dir = record_dir.as_deref().unwrap_or(Path::new("")).display();
        usage(format!("cannot resume `{dir}`: {error}"))
    })?;
    let mut code = ExitCode::Success;
    if let (Some(dir), Some(journal)) = (&record_dir, sink.journal.take()) {
        if let Some(failure) = journal.failure() {
            print_stderr(&format!("error: {failure}\n"));
            code = ExitCode::Io;
        }
        match journal.write_records() {
            Ok(_) => print_stderr(&format!("record: {}\n", dir.join("record.md").display())),
            Err(error) => {
                print_stderr(&format!("error: cannot write the record in `{}`: {error}\n", dir.display()));
                code = ExitCode::Io;
            }
        }
    }
    if report.status == RunStatus::Waiting {
        print_stderr(&match &record_dir {
            Some(dir) => format!("continue it with: runbook resume {}\n", shell_word(&dir.display().to_string())),
            None => "this run keeps no record (--no-record), so it cannot be resumed: run it again\n".to_owned(),
        });
    }
    // JSON lines go to machines; the reason a run stopped goes to people too.
    if let (Format::Json, Some(message)) = (session.format, &report.message)
        && !matches!(report.status, RunStatus::Concluded | RunStatus::Ended)
    {
        print_stderr(&format!("run {}: {message}\n", report.status.name()));
    }
    // A failure located in the runbook is then shown as `check` shows a
    // diagnostic: the snippet and the fix.
    if let Some(error) = &report.error {
        print_stderr(&Renderer::for_stderr(color).render_run_error(error));
    }
    if matches!(report.status, RunStatus::Concluded | RunStatus::Ended) {
        let dry = if launch.mode == Mode::DryRun {
            " (a dry run assumes outcomes without observations: a `when` that reads `result` is false there)"
        } else {
            ""
        };
        // Outside a live run actions are shown, never asked about.
        let asks = |step: &str| {
            launch.mode == Mode::Live || !runbook.steps.iter().any(|s| s.id.value == step && s.action.is_some())
        };
        for step in operator.unused().into_iter().filter(|step| asks(step)) {
            print_stderr(&format!(
                "warning: the answer given for `{step}` was not used: the run did not reach it{dry}\n"
            ));
        }
    }
    if code != ExitCode::Success && report.status != RunStatus::Aborted {
        return Ok(code);
    }
    let matched = report.conclusion.as_ref().and_then(|c| Some((c, fail_on.matched(c.status, c.severity)?)));
    if let (RunStatus::Concluded, Some((conclusion, term))) = (report.status, &matched) {
        let severity = conclusion.severity.map(|s| format!(" · severity {}", s.name())).unwrap_or_default();
        print_stderr(&format!(
            "--fail-on: the conclusion `{}`{severity} matches `{term}` (exit 7)\n",
            conclusion.status.name()
        ));
    }
    Ok(match report.status {
        RunStatus::Concluded if matched.is_some() => ExitCode::ConclusionFailed,
        RunStatus::Concluded => ExitCode::Success,
        RunStatus::Ended => ExitCode::NoConclusion,
        RunStatus::Failed | RunStatus::TimedOut => ExitCode::RunFailed,
        RunStatus::Waiting => ExitCode::NeedsAnswer,
        RunStatus::Aborted => ExitCode::Interrupted,
    })
}

/// `text` as one shell word: as it is when nothing in it is special to the
/// shell, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./-+:@%,=".contains(c));
    if plain { text.to_owned() } else { runbook_engine::shell_quote(text) }
}

/// Reads and checks the runbook; errors are shown as `runbook check` shows
/// them.
fn load(path: &Path, color: Color) -> Result<(Plan, String), ExitCode> {
    // Only a regular file: a FIFO named `x.yaml` would block the run before
    // its first step, deaf to Ctrl-C and SIGTERM. One byte past the size
    // limit is enough for the loader to refuse a larger file (a log or a
    // sparse file given by mistake) without reading it whole.
    let read = |path: &Path| -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let file = runbook_engine::open_regular_file(std::fs::OpenOptions::new().read(true), path, 0)?;
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, runbook_model::MAX_FILE_BYTES as u64 + 1),
            &mut bytes,
        )?;
        Ok(bytes)
    };
    let bytes = read(path).map_err(|error| {
        print_stderr(&format!("error: cannot read `{}`: {error}\n", path.display()));
        ExitCode::Io
    })?;
    let checked = match Plan::load(path, &bytes) {
        Ok(plan) => return Ok((plan, runbook_engine::interpret::sha256_hex(&bytes))),
        Err(checked) => checked,
    };
    let renderer = Renderer::for_stderr(color);
    let errors = checked.diagnostics.iter().filter(|d| d.level() == Level::Error);
    // Each called runbook's own errors in full, against its own text.
    print_stderr(&renderer.render_file(&checked.source, errors, &checked.invalid_callees));
    print_stderr(&format!("error: `{}` has errors; fix them before running it\n", path.display()));
    Err(ExitCode::InvalidRunbook)
}

/// Splits `NAME=VALUE`.
fn split_pair<'a>(flag: &str, pair: &'a str) -> Result<(&'a str, &'a str), String> {
    pair.split_once('=')
        .filter(|(name, _)| !name.trim().is_empty())
        .map(|(name, value)| (name.trim(), value))
        .ok_or_else(|| format!("`--{flag} {pair}` is not NAME=VALUE"))
}

fn given_inputs(args: &SessionArgs) -> Result<GivenInputs, String> {
    let text = args
        .inputs
        .iter()
        .map(|pair| split_pair("input", pair).map(|(name, value)| (name.to_owned(), value.to_owned())))
        .collect::<Result<_, _>>()?;
    let typed = match &args.inputs_file {
        Some(path) => read_map(path)?,
        None => IndexMap::new(),
    };
    Ok(GivenInputs { text, typed, ..GivenInputs::default() })
}

/// A YAML (or JSON) file holding a map. An error gives the place, never
/// the file's lines: they may hold secret values.
fn read_map(path: &Path) -> Result<IndexMap<String, Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    serde_saphyr::from_str::<IndexMap<String, Value>>(&text).map_err(|error| {
        let why = error.without_snippet().to_string();
        let why = why.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
        format!("`{}` is not a map of names to values: {why}", path.display())
    })
}

/// Answers from `--answers` then `--answer`, checked against the runbook's
/// questions before anything runs.
fn answers(args: &SessionArgs, plan: &Plan) -> Result<HashMap<String, String>, String> {
    let mut answers = match &args.answers_file {
        Some(path) => scripted_answers(&read_map(path)?),
        None => HashMap::new(),
    };
    let mut flagged = std::collections::HashSet::new();
    for pair in &args.answers {
        let (step, value) = split_pair("answer", pair)?;
        answers.insert(step.to_owned(), value.to_owned());
        flagged.insert(step.to_owned());
    }
    for (key, value) in &answers {
        check_answer(plan, key, value).map_err(|message| match &args.answers_file {
            // An error names where the answer was written.
            Some(path) if !flagged.contains(key) => format!("`--answers {}`, `{key}`: {message}", path.display()),
            // The value is not repeated: a secret given by mistake would
            // end up in a CI log.
            _ => format!("`--answer {key}=…`: {message}"),
        })?;
    }
    Ok(answers)
}

/// An answer must name a question, an action or an `instruct` note, and be
/// a valid answer to it; the error says why, and the caller where the
/// answer was written. Steps of called runbooks (`call-step/inner`) are
/// checked when asked.
/// The runbook that holds the step a run names `name`, with the step's name
/// in it and, for a called runbook (loaded with the plan, at any depth),
/// where it is for messages: `call/inner` is the step `inner` of the
/// runbook the `call` step runs.
fn holding_runbook<'p>(plan: &'p Plan, name: &'p str) -> Result<(&'p Runbook, &'p str, Option<String>), String> {
    let (outer, Some(inner)) = StepPath::new(name).outermost() else {
        return Ok((&plan.runbook, name, None));
    };
    let steps = &plan.runbook.steps;
    let Some(index) = steps.iter().position(|step| step.id.value == outer) else {
        let calls = steps.iter().filter(|step| step.call.is_some()).map(|step| step.id.as_str());
        let suggestion = did_you_mean(outer, calls).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
        return Err(format!("the runbook has no step `{outer}`{suggestion}"));
    };
    let (Some(call), Some(called)) = (steps[index].call.as_ref(), plan.callees.of_step(index)) else {
        return Err(format!(
            "step `{outer}` calls no runbook: `{name}` names the step `{inner}` of the runbook a `call` step runs"
        ));
    };
    let here = format!("in `{}`, which step `{outer}` calls", call.runbook.value);
    match holding_runbook(&called.plan, inner) {
        Ok((runbook, id, deeper)) => {
            Ok((runbook, id, Some(deeper.map_or(here.clone(), |deeper| format!("{deeper}, {here}")))))
        }
        Err(message) => Err(format!("{here}: {message}")),
    }
}

/// `message` about a step of the runbook `at` says where it is.
fn located(at: Option<&str>, message: String) -> String {
    match at {
        Some(at) => format!("{at}: {message}"),
        None => message,
    }
}

fn check_answer(plan: &Plan, key: &str, value: &str) -> Result<(), String> {
    let (runbook, inner, at) = holding_runbook(plan, key)?;
    check_step_answer(runbook, key, inner, value).map_err(|message| located(at.as_deref(), message))
}

/// Checks the answer `value` to the step `inner` of `runbook`, which the
/// run names `key`.
fn check_step_answer(runbook: &Runbook, key: &str, inner: &str, value: &str) -> Result<(), String> {
    let (step_id, note) = match inner.split_once('.') {
        Some((step, note)) => (step, Some(note)),
        None => (inner, None),
    };
    let answerable = runbook.steps.iter().filter(|s| s.ask.is_some() || s.action.is_some() || s.instruct.is_some());
    let Some(step) = runbook.steps.iter().find(|s| s.id.value == step_id) else {
        let suggestion = did_you_mean(step_id, answerable.map(|s| s.id.as_str()))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(format!("the runbook has no step `{step_id}`{suggestion}"));
    };
    match (note, &step.ask, &step.action, &step.instruct) {
        (None, Some(ask), _, _) => {
            validate_answer(ask, value)?;
        }
        (None, _, Some(_), _) => {
            if action_answer(value).is_none() {
                return Err(format!("`{key}` is an action; answer yes or no (or again, to run it again on resume)"));
            }
        }
        (None, _, _, Some(_)) => {
            if yes_or_no(value).is_none() {
                return Err(format!("`{key}` is an instruction; answer yes (done) or no (not done: the run waits)"));
            }
        }
        (Some(CHECKLIST), _, _, Some(instruct)) if !instruct.notes.keys().any(|n| n.as_str() == CHECKLIST) => {
            if instruct.checklist.is_empty() {
                return Err(format!("step `{step_id}` has no checklist"));
            }
            ticked_items(value, &instruct.checklist)?;
        }
        (Some(note), _, _, Some(instruct)) => {
            if !instruct.notes.keys().any(|n| n.as_str() == note) {
                let names: Vec<&str> = instruct.notes.keys().map(|n| n.as_str()).collect();
                return Err(format!("step `{step_id}` has no note `{note}` (notes: {})", names.join(", ")));
            }
        }
        _ => return Err(format!("step `{step_id}` asks nothing")),
    }
    Ok(())
}

/// `--assume STEP=OUTCOME` pairs: one per step, each an outcome the step
/// can give, so that no assumption is silently overridden or routed by
/// fall-through.
fn assumptions(pairs: &[String], plan: &Plan) -> Result<HashMap<String, Outcome>, String> {
    let mut assumed: HashMap<String, (Outcome, &str)> = HashMap::new();
    for pair in pairs {
        let (step, outcome) = split_pair("assume", pair)?;
        let (runbook, id, at) =
            holding_runbook(plan, step).map_err(|message| format!("`--assume {pair}`: {message}"))?;
        let Some(found) = runbook.steps.iter().find(|s| s.id.value == id) else {
            let ids = runbook.steps.iter().filter(|s| s.kind().is_some_and(StepKind::routes_by_outcome));
            let ids = ids.map(|s| s.id.as_str());
            let suggestion = did_you_mean(id, ids).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
            let message = located(at.as_deref(), format!("the runbook has no step `{id}`{suggestion}"));
            return Err(format!("`--assume {pair}`: {message}"));
        };
        let outcome = Outcome::ALL.into_iter().find(|o| o.name() == outcome.trim()).ok_or_else(|| {
            format!("`--assume {pair}`: `{outcome}` is not an outcome (pass, warn, fail, error, skipped)")
        })?;
        let kind = found.kind();
        if let Some(kind) = kind.filter(|kind| !kind.routes_by_outcome()) {
            return Err(format!(
                "`--assume {pair}`: `{step}` is {} step, which has no outcome to assume; only {} steps do",
                kind.with_article(),
                StepKind::listed(StepKind::routes_by_outcome, "and")
            ));
        }
        let producible = runbook_model::producible_keys(found).unwrap_or_default();
        if !producible.iter().any(|key| key == outcome.name()) {
            return Err(format!(
                "`--assume {pair}`: step `{step}` never gives `{}`, so no run could take that branch; it gives {}",
                outcome.name(),
                producible.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some((earlier, given)) = assumed.insert(step.to_owned(), (outcome, pair)) {
            return Err(format!(
                "`--assume {pair}`: `{step}` is already assumed `{}` by `--assume {given}`; give each step one outcome",
                earlier.name()
            ));
        }
    }
    Ok(assumed.into_iter().map(|(step, (outcome, _))| (step, outcome)).collect())
}

/// How soon after the signal that stopped the run a SIGINT is taken for
/// the same stop (one signal sent twice, to the run and to its process
/// group) rather than the operator's second Ctrl-C.
const SAME_STOP: Duration = Duration::from_millis(300);

/// Ctrl-C, SIGTERM and SIGHUP cancel the run: probes stop, their process
/// groups are killed, and the run ends as aborted, its record saying which
/// signal stopped it (`stopped_by`). A second Ctrl-C, [`SAME_STOP`] or more
/// later, exits at once, saying that the record was not written and how to
/// rebuild it. A signal that came before the runtime ran (during a prompt)
/// is seen through `interrupted`.
fn watch_signals(
    cancel: &CancellationToken,
    interrupted: &Arc<Caught>,
    reason: &Arc<std::sync::OnceLock<String>>,
    record_dir: Option<&Path>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    if let Some(signal) = interrupted.signal() {
        let _ = reason.set(stopped_by(signal));
        cancel.cancel();
    }
    // Created here, not in the task, so that the handlers are in place
    // before the run starts.
    let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) =
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()), signal(SignalKind::hangup()))
    else {
        return;
    };
    let (cancel, reason, caught) = (cancel.clone(), Arc::clone(reason), Arc::clone(interrupted));
    let rebuild = match record_dir {
        Some(dir) => format!(
            "the record was not written: `runbook record {0}` rebuilds it from the journal, and `runbook resume {0}` \
             goes on",
            printable_line(&dir.display().to_string())
        ),
        None => "nothing was recorded (--no-record)".to_owned(),
    };
    tokio::spawn(async move {
        let mut stopping_since: Option<tokio::time::Instant> = None;
        loop {
            let signal = tokio::select! {
                _ = interrupt.recv() => SIGINT,
                _ = terminate.recv() => SIGTERM,
                _ = hangup.recv() => SIGHUP,
            };
            if cancel.is_cancelled() {
                // Only the operator's second Ctrl-C cuts the stop short. A
                // SIGTERM or SIGHUP repeated (GNU `timeout` signals the run
                // and then its process group; a supervisor retries) is the
                // same stop, as is a SIGINT right behind the first.
                let since = *stopping_since.get_or_insert_with(tokio::time::Instant::now);
                if signal != SIGINT || since.elapsed() < SAME_STOP {
                    continue;
                }
                runbook_engine::probe::kill_running_commands();
                if std::io::stderr().is_terminal() {
                    let _ = console::Term::stderr().show_cursor();
                }
                print_stderr(&format!(
                    "\nstopped at once by a second signal: a probe or action under way was killed and may have run \
                     in part; {rebuild}\n"
                ));
                std::process::exit(i32::from(ExitCode::Interrupted.as_u8()));
            }
            let _ = reason.set(stopped_by(caught.signal().unwrap_or(signal)));
            stopping_since = Some(tokio::time::Instant::now());
            cancel.cancel();
            // A prompt cut by SIGTERM or SIGHUP raises SIGINT as well: the
            // signals already there are this one stop, not a second.
            let _ = tokio::time::timeout(Duration::ZERO, interrupt.recv()).await;
            let _ = tokio::time::timeout(Duration::ZERO, terminate.recv()).await;
            let _ = tokio::time::timeout(Duration::ZERO, hangup.recv()).await;
        }
    });
}

/// The view (or JSON lines) and the journal, fed the same events.
struct Sinks {
    view: Box<dyn EventSink>,
    journal: Option<Journal>,
}

impl EventSink for Sinks {
    fn emit(&mut self, event: &runbook_engine::event::Event) {
        if let Some(journal) = &mut self.journal {
            journal.emit(event);
        }
        self.view.emit(event);
    }

    fn commit(&mut self) {
        if let Some(journal) = &mut self.journal {
            journal.commit();
        }
    }

    fn failure(&self) -> Option<String> {
        self.journal.as_ref().and_then(Journal::failure)
    }

    fn reads_step_facts(&self) -> bool {
        self.journal.is_some() || self.view.reads_step_facts()
    }
}

/// Scripted answers first, then the person at the terminal, if any.
struct Answering {
    script: Scripted,
    person: Option<Terminal>,
    /// The steps that asked something (a question, an instruction, a
    /// confirmation), so that an answer no step asked for is told.
    asked: HashSet<String>,
}

impl Answering {
    /// The steps a scripted answer (or note) was given for that never
    /// asked: a typo would be refused before the run, so these are steps
    /// the run did not reach.
    fn unused(&self) -> Vec<&str> {
        let mut steps: Vec<&str> = self
            .script
            .answers
            .keys()
            .map(|key| key.split_once('.').map_or(key.as_str(), |(step, _)| step))
            .filter(|step| !self.asked.contains(*step))
            .collect();
        steps.sort_unstable();
        steps.dedup();
        steps
    }
}

impl Operator for Answering {
    fn ask(&mut self, question: &Question<'_>) -> Result<Reply<String>, OperatorError> {
        self.asked.insert(question.step.to_owned());
        match (self.script.answers.contains_key(question.step), &mut self.person) {
            (false, Some(person)) if !self.script.accept_defaults || question.ask.default.is_none() => {
                person.ask(question)
            }
            _ => self.script.ask(question),
        }
    }

    fn instruct(&mut self, instruction: &Instruction<'_>) -> Result<Reply<InstructReply>, OperatorError> {
        self.asked.insert(instruction.step.to_owned());
        let prefix = format!("{}.", instruction.step);
        // `--accept-defaults` takes an instruction as done with no notes,
        // as a run without a terminal does, so the flags mean the same
        // unattended run at a terminal and in a pipe.
        let scripted = self.script.accept_defaults
            || self.script.answers.contains_key(instruction.step)
            || self.script.answers.keys().any(|key| key.starts_with(&prefix));
        match &mut self.person {
            Some(person) if !scripted => person.instruct(instruction),
            _ => self.script.instruct(instruction),
        }
    }

    fn confirm(&mut self, action: &ActionRequest<'_>) -> Result<Reply<bool>, OperatorError> {
        self.asked.insert(action.step.to_owned());
        // A scripted yes does not run an action that may have run already:
        // the person at the terminal is asked instead.
        let answer = self.script.answers.get(action.step).and_then(|answer| action_answer(answer));
        let scripted = (self.script.yes && !action.again)
            || answer.is_some_and(|answer| !(action.again && answer == ActionAnswer::Yes));
        match (scripted, &mut self.person) {
            (false, Some(person)) => person.confirm(action),
            _ => self.script.confirm(action),
        }
    }

    fn input(&mut self, request: &InputRequest<'_>) -> Result<String, OperatorError> {
        match &mut self.person {
            Some(person) => person.input(request),
            None => self.script.input(request),
        }
    }
}

/// Who runs it when `--operator` is not given: `$USER`, else the name the
/// system gives the process's uid (cron, containers and `env -i` leave
/// `$USER` unset), and "unknown" only when the uid has no name.
fn default_operator() -> String {
    std::env::var("USER")
        .ok()
        .filter(|user| !user.is_empty())
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|user| user.name))
        .unwrap_or_else(|| "unknown".into())
}
