//! A run whose question cannot be put (the terminal failed), or whose
//! answer the step does not allow, stops with a typed `RunError` located at
//! the step, as a template error does.

use std::sync::Arc;

use runbook_engine::clock::VirtualClock;
use runbook_engine::event::{AnsweredBy, Event, RunStatus};
use runbook_engine::inputs::{GivenInputs, resolve};
use runbook_engine::interpret::{Mode, Options, RunErrorKind, RunReport, Services, compile_templates, run};
use runbook_engine::operator::{
    ActionRequest, InputRequest, InstructReply, Instruction, Operator, OperatorError, Question, Reply,
};
use runbook_engine::probe::SystemProbes;
use runbook_model::Plan;
use tokio_util::sync::CancellationToken;

const RUNBOOK: &str = r"
id: asks
title: Asks
steps:
  - id: symptom
    ask:
      question: What is wrong?
      choices: [ { answer: down }, { answer: slow } ]
    on: { down: look, slow: end }
  - id: look
    instruct: { text: Look at the dashboard. }
    next: end
  - id: end
    conclude: { status: diagnosed }
";

/// Answers the question with `answer`; the instruction's terminal fails.
struct Answers {
    answer: String,
}

impl Operator for Answers {
    fn ask(&mut self, _: &Question<'_>) -> Result<Reply<String>, OperatorError> {
        Ok(Reply { value: self.answer.clone(), by: AnsweredBy::Operator })
    }

    fn instruct(&mut self, _: &Instruction<'_>) -> Result<Reply<InstructReply>, OperatorError> {
        Err(OperatorError::Io("cannot read the terminal: Input/output error".to_owned()))
    }

    fn confirm(&mut self, _: &ActionRequest<'_>) -> Result<Reply<bool>, OperatorError> {
        Err(OperatorError::Unanswered)
    }

    fn input(&mut self, _: &InputRequest<'_>) -> Result<String, OperatorError> {
        Err(OperatorError::Unanswered)
    }
}

fn run_answering(answer: &str) -> (Plan, RunReport) {
    let plan = Plan::new(runbook_model::check_bytes("asks.yaml", RUNBOOK.as_bytes()))
        .unwrap_or_else(|checked| panic!("{:?}", checked.diagnostics));
    let inputs = resolve(&plan.runbook, &GivenInputs::default(), &|_| None, None).unwrap();
    let clock = VirtualClock::from_fixed_start();
    let mut operator = Answers { answer: answer.to_owned() };
    let mut sink = |_: &Event| {};
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let report = runtime.block_on(run(
        &plan,
        &compile_templates(&plan, Mode::Live),
        std::path::Path::new("asks.yaml"),
        &inputs,
        &Options::default(),
        Services {
            operator: &mut operator,
            sink: &mut sink,
            clock: &clock,
            probes: Arc::new(SystemProbes),
            cancel: CancellationToken::new(),
        },
    ));
    (plan, report)
}

/// The step whose id the error's span covers.
fn located_at(plan: &Plan, report: &RunReport) -> String {
    let error = report.error.as_ref().expect("a located error");
    plan.source.text()[error.span.start..error.span.end].to_owned()
}

#[test]
fn an_answer_the_question_does_not_allow_stops_the_run_at_its_step() {
    let (plan, report) = run_answering("sideways");
    assert_eq!(report.status, RunStatus::Failed);
    let error = report.error.as_ref().expect("a located error");
    let RunErrorKind::InvalidAnswer { step, message } = &error.kind else { panic!("{:?}", error.kind) };
    assert_eq!(step, "symptom");
    assert!(message.contains("not one of the answers") && !message.contains("sideways"), "{message}");
    assert_eq!(located_at(&plan, &report), "symptom");
    assert!(error.help().is_some_and(|help| help.contains("--answer symptom=")), "{:?}", error.help());
    let message = report.message.unwrap_or_default();
    assert!(message.starts_with("asks.yaml:5:9: the answer to step `symptom` is invalid: "), "{message}");
}

/// A terminal that cannot be read at a prompt (an SSH session that
/// dropped) aborts the run, as SIGHUP does, so that it can be resumed; it
/// does not fail it.
#[test]
fn a_terminal_that_fails_aborts_the_run_at_the_step_it_was_asked_for() {
    let (_, report) = run_answering("down");
    assert_eq!(report.status, RunStatus::Aborted);
    assert!(report.error.is_none(), "{:?}", report.error);
    let message = report.message.unwrap_or_default();
    assert_eq!(
        message,
        "stopped at step `look`: cannot read the terminal: Input/output error; resume it where the question can be \
         answered"
    );
}
