//! `check` and `collect` steps: preparing their probes (one, a group, or one
//! per item), running them concurrently under a bound, judging them, and
//! polling with `retry`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_model::{Capture, Expectation, Outcome, Probes, Probing, Retry, Spanned, Step, TemplateKind};
use serde_json::Value as Json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Interpreter, RunErrorKind, StepDone, Stop};
use crate::capture::{capture, nothing_captured, unconverted};
use crate::event::{Event, Part};
use crate::facts::to_value;
use crate::judge::{judge, worst};
use crate::no_answer::{Carried, NoAnswer, ResultOf};
use crate::prepare::{Prepared, Renderer};
use crate::probe::prepare;
use crate::probe::{ErrorKind, Observation, ProbeCall, ProbeError, ProbeResult};
use crate::step_facts::{ItemFacts, Items, KindFacts, ManyFacts, OneProbe, ProbedFacts, StepFacts};
use crate::template::RenderMode;

/// Wait between attempts when `retry.interval` is not given.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// Most probes of one step at once, whatever the machine.
const MAX_CONCURRENCY: usize = 64;

/// One probe of a step, prepared.
pub(super) struct Unit<'c> {
    name: Option<String>,
    item: Option<Json>,
    prepared: Prepared,
    expect: &'c [Spanned<Expectation>],
    capture: &'c IndexMap<Spanned<String>, Spanned<Capture>>,
}

impl<'c> Unit<'c> {
    /// A step's single probe, with its expectations and captures.
    pub(super) fn new(
        prepared: Prepared,
        expect: &'c [Spanned<Expectation>],
        capture: &'c IndexMap<Spanned<String>, Spanned<Capture>>,
    ) -> Self {
        Self { name: None, item: None, prepared, expect, capture }
    }
}

/// One probe, run and judged.
pub(super) struct Judged<'c> {
    /// What the events show; its observation is put in, redacted, once
    /// the facts and captures were read from it.
    part: Part,
    /// The unredacted observation, for facts and captures.
    observation: Option<Observation>,
    capture: &'c IndexMap<Spanned<String>, Spanned<Capture>>,
}

/// How the probes of a step are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// One probe.
    Single,
    /// A `probes:` group.
    Group,
    /// One probe per `foreach` item.
    Foreach,
}

/// An attempt's result.
pub(super) struct Attempt {
    outcome: Outcome,
    error: Option<ProbeError>,
    /// Its facts: none when its probe observed nothing, or when they are
    /// built from `observed`.
    facts: Option<ProbedFacts>,
    observed: Option<Observed>,
    captures: IndexMap<String, Json>,
    uncaptured: Vec<String>,
}

impl Attempt {
    /// The step's result when this attempt is its last.
    pub(super) fn into_done(self) -> StepDone {
        StepDone {
            outcome: Some(self.outcome),
            error: self.error,
            key: Some(self.outcome.name().to_owned()),
            facts: KindFacts::probed(self.facts),
            observed: self.observed,
            captures: self.captures,
            uncaptured: self.uncaptured,
            conclusion: None,
            deciding: Duration::ZERO,
        }
    }

    /// Its facts, built now if they were deferred.
    fn facts(&self) -> Option<ProbedFacts> {
        match &self.observed {
            Some(observed) => observed.facts(),
            None => self.facts.clone(),
        }
    }
}

/// What a step's facts are made from when no sink reads them at its end
/// ([`crate::event::EventSink::reads_step_facts`]): its parts as the
/// events show them, and their observations as they were before redaction
/// (templates read unredacted facts, as captures do).
#[derive(Debug)]
pub(super) struct Observed {
    shape: Shape,
    parts: Vec<(Arc<Part>, Option<Observation>)>,
}

impl Observed {
    /// The facts [`Interpreter::settle`] would have made.
    pub(super) fn facts(&self) -> Option<ProbedFacts> {
        probe_facts(self.shape, self.parts.iter().map(|(part, observed)| (&**part, observed.as_ref())))
    }
}

/// The wait before the next attempt: this one times `backoff`, at most
/// `max_interval`. It saturates at [`Duration::MAX`] instead of overflowing:
/// `attempts: 1000, backoff: 10` passes `check`, and a real run would
/// simply wait on.
fn next_wait(wait: Duration, retry: Option<&Retry>) -> Duration {
    let backoff = retry.and_then(|r| r.backoff.as_ref()).map_or(1.0, |b| b.value).max(1.0);
    let grown = Duration::try_from_secs_f64(wait.as_secs_f64() * backoff).unwrap_or(Duration::MAX);
    retry.and_then(|r| r.max_interval.as_ref()).map_or(grown, |max| grown.min(max.0))
}

impl<'a> Interpreter<'a> {
    pub(super) async fn probing_step(
        &mut self,
        step: &'a Step,
        probing: &'a Probing,
        token: &CancellationToken,
    ) -> Result<StepDone, Stop> {
        if let Some(why) = self.not_sent_in_this_mode(step) {
            return self.not_sent(step, probing, &why);
        }
        let retry: Option<&Retry> = step.retry.as_ref().map(|r| &r.value);
        let attempts = retry.map_or(1, |r| r.attempts.value.max(1));
        let until = retry.and_then(|r| r.until.as_ref()).map_or(Outcome::Pass, |u| u.value);
        let mut wait = retry.and_then(|r| r.interval.as_ref()).map_or(DEFAULT_INTERVAL, |d| d.0);
        let started = self.clock.now();
        let mut number = 1;
        loop {
            let attempt = self.attempt(step, probing, number, token).await?;
            self.emit(&Event::AttemptFinished { step: self.name(&step.id), attempt: number, outcome: attempt.outcome });
            let elapsed = self.clock.now().duration_since(started);
            let deadline_passed = retry
                .and_then(|r| r.deadline.as_ref())
                .is_some_and(|deadline| elapsed.saturating_add(wait) > deadline.0);
            let mut done = number >= attempts || attempt.outcome == until || token.is_cancelled() || deadline_passed;
            if !done && let Some(stop_if) = retry.and_then(|r| r.stop_if.as_ref()) {
                let result = StepFacts {
                    kind: KindFacts::probed(attempt.facts()),
                    outcome: Some(attempt.outcome),
                    error: attempt.error.clone(),
                    duration: crate::probe::millis(elapsed),
                };
                let no_answer = attempt
                    .error
                    .clone()
                    .filter(|error| !error.kind.answered())
                    .map(|error| NoAnswer { step: step.id.value.clone(), error: error.redacted(&self.redactor) });
                let renderer =
                    Renderer::new(self.templates, &self.facts, vec![("result", to_value(&result.to_json()))])
                        .result_of(ResultOf { step: &step.id, attempt: no_answer, error_routed: false });
                // A `stop_if` is not judged on what a probe without an
                // answer left: the attempts go on, and the last one's
                // expectations decide.
                done = renderer.reads_no_answer("retry.stop_if", stop_if).is_none()
                    && renderer.condition("retry.stop_if", stop_if).map_err(|e| self.render_failed(step, &e))?;
            }
            if done {
                return Ok(attempt.into_done());
            }
            // A dry run assumes the same outcome again at once.
            if self.options.mode != super::Mode::DryRun {
                self.emit(&Event::Waiting {
                    step: self.name(&step.id),
                    attempt: number,
                    wait_ms: crate::probe::millis(wait),
                });
                let sleep = self.clock.sleep(wait);
                tokio::select! {
                    () = sleep => {}
                    () = token.cancelled() => {
                        // Polling was cut short: the last attempt's outcome
                        // is not the step's.
                        let mut done = attempt.into_done();
                        done.outcome = Some(Outcome::Error);
                        done.key = Some(Outcome::Error.name().to_owned());
                        done.error = Some(ProbeError::new(ErrorKind::Interrupted, "interrupted while waiting to retry"));
                        return Ok(done);
                    }
                }
            }
            wait = next_wait(wait, retry);
            number += 1;
        }
    }

    /// What the step's probe reads (its command, request, expectations)
    /// that a probe without an answer left, unrouted: its captures are
    /// made of it and hold no answer either (attack7 H20: a check's `sh:`
    /// reading a timed-out probe's `default:` captured what looked like an
    /// answer). The step's title and description, and its `on:` conditions,
    /// are not its probe.
    fn probe_reads_no_answer(&self, step: &Step) -> Option<Carried> {
        if self.facts.no_answers().is_empty() {
            return None;
        }
        let index = self.plan.flow.position(&step.id.value)?;
        let shown: Vec<_> = [&step.title, &step.description].into_iter().flatten().map(|text| text.span).collect();
        let names = runbook_model::template_sites(&self.plan.runbook)
            .into_iter()
            .filter(|site| site.step == Some(index) && !site.after_probe && !shown.contains(&site.span))
            .flat_map(|site| match site.kind {
                TemplateKind::Shell => self.templates.names(site.text, RenderMode::Shell),
                TemplateKind::Template => self.templates.names(site.text, RenderMode::Sent),
                TemplateKind::Expression => self.templates.expression_names(site.text),
            })
            .collect();
        self.facts.no_answers().carried(&names)
    }

    /// Why a `--read-only` run sends none of the step's probes: one of them
    /// is an HTTP request whose method may change things (`POST`, `PUT`,
    /// `PATCH`, `DELETE`). `None` in other modes, or when all are reads.
    fn not_sent_in_this_mode(&self, step: &Step) -> Option<String> {
        if self.options.mode != super::Mode::ReadOnly {
            return None;
        }
        let check = step.check.as_ref().or(step.collect.as_ref())?;
        let mut methods: Vec<&str> =
            check.value.changing_methods().into_iter().map(runbook_model::Method::name).collect();
        methods.dedup();
        (!methods.is_empty())
            .then(|| format!("a read-only run sends no {}, which may change things", methods.join(" or ")))
    }

    /// The step skipped as an action is in a read-only run: its probes are
    /// prepared (the view and the record show what would have been sent)
    /// but none is sent, not even the reads beside a `POST` in a group,
    /// since the step's outcome could not be judged without it.
    fn not_sent(&mut self, step: &'a Step, probing: &'a Probing, why: &str) -> Result<StepDone, Stop> {
        let (shape, units) = self.prepare_units(step, &probing.probes)?;
        let judged = units
            .into_iter()
            .map(|unit| {
                let mut judged = self.unobserved(unit, Outcome::Skipped);
                judged.part.not_sent = Some(why.to_owned());
                judged
            })
            .collect();
        let mut attempt = self.settle(step, 1, shape, judged);
        attempt.outcome = Outcome::Skipped;
        attempt.error = None;
        self.emit(&Event::AttemptFinished { step: self.name(&step.id), attempt: 1, outcome: Outcome::Skipped });
        Ok(attempt.into_done())
    }

    /// One attempt: prepare, run, judge, capture.
    async fn attempt(
        &mut self,
        step: &'a Step,
        probing: &'a Probing,
        number: u32,
        token: &CancellationToken,
    ) -> Result<Attempt, Stop> {
        let (shape, units) = self.prepare_units(step, &probing.probes)?;
        self.learn_derived_secrets(step);
        let judged = self.run_units(step, number, units, probing.concurrency, token).await;
        Ok(self.settle(step, number, shape, judged))
    }

    /// Turns judged probes into the attempt's outcome, facts and captures,
    /// and reports them.
    pub(super) fn settle(&mut self, step: &Step, number: u32, shape: Shape, judged: Vec<Judged<'_>>) -> Attempt {
        // Read before this attempt's captures replace what it read.
        let carried = self.probe_reads_no_answer(step);
        let mut outcome = worst(judged.iter().map(|j| j.part.outcome));
        // A probe whose expectations judge its failure (a `tcp` check's
        // `connected: false`) did not err, but `error` still says why:
        // refused, timed out or not resolved are different diagnoses.
        let mut error = judged.iter().find(|j| j.part.outcome == outcome).and_then(|j| {
            let judged_failure = j.observation.as_ref().and_then(Observation::error);
            j.part.error.clone().or_else(|| judged_failure.cloned())
        });
        // A check with nothing to judge did not pass: an empty `foreach`
        // list (no pods found, say) is an error, not "all healthy". A dry
        // run assumes outcomes per item, and a `collect` only gathers.
        if shape == Shape::Foreach
            && judged.is_empty()
            && step.check.is_some()
            && self.options.mode != super::Mode::DryRun
        {
            outcome = Outcome::Error;
            error = Some(ProbeError::new(
                ErrorKind::EmptyForeach,
                "the `foreach` list is empty: no probe ran, so nothing was checked",
            ));
        }
        // Built now when a sink reads them, else where a template does.
        let deferred = !self.sink.reads_step_facts();
        let facts =
            if deferred { None } else { probe_facts(shape, judged.iter().map(|j| (&j.part, j.observation.as_ref()))) };
        let mut captures = IndexMap::new();
        // A secret captured (a token sent where credentials go) is redacted
        // from now on, in the observation it came from too.
        let secret_vars = &self.plan.secret_flow().vars;
        let mut learned = Vec::new();
        // The vars of probes that gave no answer, with their errors.
        let mut no_answers = Vec::new();
        for unit in &judged {
            // A probe that gave no answer captures nothing from what it
            // printed (`wc -l`'s `0` after a missing `pgrep`): its defaults
            // stand in, as for a mocked `{ error: spawn_failed }`.
            let answered = unit.part.outcome != Outcome::Error
                || unit.part.error.as_ref().is_none_or(|error| error.kind.answered());
            if let Some(error) = unit.part.error.as_ref().filter(|_| !answered && shape != Shape::Foreach) {
                no_answers.extend(unit.capture.keys().map(|name| (name.value.clone(), error.clone())));
            }
            for (name, source) in unit.capture {
                let taken = unit
                    .observation
                    .as_ref()
                    .map(|observation| if answered { capture(source, observation) } else { nothing_captured(source) });
                let value = match taken {
                    Some(Ok(value)) => value,
                    Some(Err(problem)) => {
                        // A secret that does not convert is a secret all the
                        // same: the message quotes it (review-8-attack5 H4).
                        if secret_vars.contains(&name.value)
                            && let Some(found) = unit.observation.as_ref().and_then(|seen| unconverted(source, seen))
                        {
                            learned.extend(self.redactor.learn_json(&name.value, &found));
                        }
                        // A value of the wrong type is not silently kept: the
                        // step errs, as when a body expected to be JSON is not.
                        // Each capture that did not convert is named, so
                        // that none of them reads as "nothing captured". A
                        // probe whose expectation was false did answer: its
                        // outcome stays `fail` (as for a body that is not
                        // JSON), the error still says why the var is unset.
                        if outcome != Outcome::Fail {
                            outcome = Outcome::Error;
                        }
                        let named = format!("capture `{}`:", name.value);
                        match &mut error {
                            None => {
                                error = Some(ProbeError::new(ErrorKind::InvalidCapture, format!("{named} {problem}")));
                            }
                            Some(error)
                                if error.kind == ErrorKind::InvalidCapture && !error.message.contains(&named) =>
                            {
                                error.message = format!("{}; {named} {problem}", error.message);
                            }
                            Some(_) => {}
                        }
                        None
                    }
                    // A dry run observes nothing: a capture with a default
                    // gets it, as a run does when its source holds nothing,
                    // so that the questions and texts after it read as they
                    // would (`Redis uses 0 bytes`, not `Redis uses  bytes`).
                    None if unit.part.assumed => source.default.as_ref().map(|default| default.value.clone()),
                    None => None,
                };
                if shape == Shape::Foreach {
                    let list = captures.entry(name.value.clone()).or_insert_with(|| Json::Array(Vec::new()));
                    if let Json::Array(list) = list {
                        list.push(value.unwrap_or(Json::Null));
                    }
                } else if let Some(value) = value {
                    captures.insert(name.value.clone(), value);
                }
            }
        }
        // What this attempt did not capture is unset, not left over from
        // an earlier attempt or visit.
        let uncaptured: Vec<String> = judged
            .iter()
            .flat_map(|unit| unit.capture.keys())
            .map(|name| name.value.clone())
            .filter(|name| !captures.contains_key(name))
            .collect();
        for name in &uncaptured {
            self.facts.unset_var(name);
        }
        for (name, value) in &captures {
            if secret_vars.contains(name) {
                learned.extend(self.redactor.learn_captured_json(name, value));
            }
            self.facts.set_var(name, value.clone());
        }
        if let Some(carried) = &carried {
            for name in captures.keys().filter(|name| no_answers.iter().all(|(unanswered, _)| unanswered != *name)) {
                self.facts.note_carried_var(name, &step.id.value, carried);
            }
        }
        for (name, error) in no_answers {
            let why = NoAnswer { step: step.id.value.clone(), error: error.redacted(&self.redactor) };
            let defaulted = captures.contains_key(&name);
            self.facts.note_no_answer_var(&name, why, defaulted);
        }
        // The events show each observation redacted, by the redactor as it
        // was when the probes ran; then the pieces of secrets that an
        // observation's dropped middle cut in two are added to it, with
        // their names: captures taken from the joined text hold them.
        let mut cut_secrets = Vec::new();
        let mut unredacted = Vec::new();
        let error = error.map(|error| error.redacted(&self.redactor));
        let parts: Vec<Arc<Part>> = judged
            .into_iter()
            .map(|Judged { mut part, observation, .. }| {
                if deferred {
                    unredacted.push(observation.clone());
                }
                part.error = part.error.map(|error| error.redacted(&self.redactor));
                for result in &mut part.expectations {
                    self.redactor.json(&mut result.expected);
                    if let Some(actual) = &mut result.actual {
                        self.redactor.json(actual);
                    }
                }
                part.observation = observation.map(|mut shown| {
                    cut_secrets.extend(shown.redact(&self.redactor));
                    shown
                });
                Arc::new(part)
            })
            .collect();
        for (name, piece) in &cut_secrets {
            learned.extend(self.redactor.learn(name, piece));
        }
        self.journal_learned(step, learned);
        let name = self.name(&step.id);
        for part in &parts {
            self.emit(&Event::Probe { step: name.clone(), attempt: number, part: Arc::clone(part) });
        }
        let observed = deferred.then(|| Observed { shape, parts: parts.iter().cloned().zip(unredacted).collect() });
        self.evidence.insert(name, parts);
        Attempt { outcome, error, facts, observed, captures, uncaptured }
    }

    /// Renders the step's probes: one, one per `probes:` entry, or one per
    /// `foreach` item.
    fn prepare_units(&self, step: &Step, probes: &'a Probes) -> Result<(Shape, Vec<Unit<'a>>), Stop> {
        let failed = |error| self.render_failed(step, &error);
        let renderer = Renderer::new(self.templates, &self.facts, Vec::new()).sending(self.resumed);
        let at = self.clock.wall();
        let reads_phases = self.plan.reads_phases(&step.id.value);
        // This attempt's connections: none is left from an earlier step or
        // attempt, none is kept for a later one.
        let client = self.client.for_one_attempt();
        let (entry, items, item_name) = match probes {
            Probes::Single(entry) => {
                let prepared =
                    prepare(&entry.probe, &entry.expect, reads_phases, &renderer, &client, &self.redactor, at)
                        .map_err(failed)?;
                let unit = Unit { name: None, item: None, prepared, expect: &entry.expect, capture: &entry.capture };
                return Ok((Shape::Single, vec![unit]));
            }
            Probes::Group(group) => {
                let units = group
                    .iter()
                    .map(|(name, entry)| {
                        let prepared = prepare(
                            &entry.probe,
                            &entry.expect,
                            reads_phases,
                            &renderer,
                            &self.client,
                            &self.redactor,
                            at,
                        )
                        .map_err(failed)?;
                        Ok(Unit {
                            name: Some(name.clone()),
                            item: None,
                            prepared,
                            expect: &entry.expect,
                            capture: &entry.capture,
                        })
                    })
                    .collect::<Result<_, Stop>>()?;
                return Ok((Shape::Group, units));
            }
            Probes::Foreach { entry, items, item_name } => (entry, items, item_name),
        };
        let items = match renderer.value("foreach", items).map_err(failed)? {
            // A blank item names nothing to probe: `"" | split(',')` is
            // `[""]`, and `web,` ends in one; the check of an input left
            // empty is an empty `foreach`, never "all 1 services healthy".
            Json::Array(mut items) => {
                items.retain(|item| item.as_str().is_none_or(|text| !text.trim().is_empty()));
                items
            }
            other => {
                let kind = RunErrorKind::Foreach { step: self.name(&step.id), gave: crate::facts::describe(&other) };
                let mut error = self.error_at(step, kind);
                error.span = items.span;
                return Err(Stop::Error(error));
            }
        };
        let units = items
            .into_iter()
            .map(|item| {
                let renderer = Renderer::new(self.templates, &self.facts, vec![(item_name, to_value(&item))])
                    .sending(self.resumed);
                let prepared =
                    prepare(&entry.probe, &entry.expect, reads_phases, &renderer, &client, &self.redactor, at)
                        .map_err(failed)?;
                Ok(Unit { name: None, item: Some(item), prepared, expect: &entry.expect, capture: &entry.capture })
            })
            .collect::<Result<_, Stop>>()?;
        Ok((Shape::Foreach, units))
    }

    /// Runs the units through the run's [`crate::probe::ProbeRunner`] (or,
    /// in a dry run, assumes their outcomes), at most `concurrency` at once,
    /// and judges them. Results keep the units' order.
    pub(super) async fn run_units(
        &mut self,
        step: &Step,
        attempt: u32,
        units: Vec<Unit<'a>>,
        concurrency: Option<u32>,
        token: &CancellationToken,
    ) -> Vec<Judged<'a>> {
        if self.options.mode == super::Mode::DryRun {
            let assumed = self.options.assume.get(&self.name(&step.id)).copied().unwrap_or(Outcome::Pass);
            return units.into_iter().map(|unit| self.assumed(unit, assumed)).collect();
        }
        let limits = self.options.limits;
        let step_name = self.name(&step.id);
        let repeats = repeats(&units);
        let call = |index: usize, unit: &Unit<'_>| ProbeCall {
            step: step_name.clone(),
            name: unit.name.clone(),
            item: unit.item.clone(),
            repeat: repeats[index],
            attempt,
            kind: unit.prepared.kind,
            target: unit.prepared.target.clone(),
            spec: Arc::clone(&unit.prepared.probe),
            timeout: unit.prepared.timeout,
        };
        let results: Vec<Option<ProbeResult>> = if let [unit] = units.as_slice() {
            vec![Some(self.probes.run(&call(0, unit), &limits, token).await)]
        } else {
            let declared = concurrency.map(|c| usize::try_from(c).unwrap_or(usize::MAX));
            let bound = declared.or(self.options.concurrency).unwrap_or_else(default_concurrency).max(1);
            let mut results: Vec<Option<ProbeResult>> = vec![None; units.len()];
            let mut running = JoinSet::new();
            let mut queue = units.iter().enumerate().map(|(index, unit)| (index, call(index, unit)));
            loop {
                while running.len() < bound {
                    let Some((index, call)) = queue.next() else { break };
                    let token = token.clone();
                    let probes = Arc::clone(&self.probes);
                    running.spawn(async move { (index, probes.run(&call, &limits, &token).await) });
                }
                let Some(finished) = running.join_next().await else { break };
                if let Ok((index, result)) = finished {
                    results[index] = Some(result);
                }
            }
            results
        };
        units.into_iter().zip(results).map(|(unit, result)| self.judged(unit, result)).collect()
    }

    fn judged(&self, unit: Unit<'a>, result: Option<ProbeResult>) -> Judged<'a> {
        let observation = match result {
            Some(Ok(observation)) => observation,
            Some(Err(error)) => {
                let mut judged = self.unobserved(unit, Outcome::Error);
                judged.part.error = Some(error);
                return judged;
            }
            None => {
                let mut judged = self.unobserved(unit, Outcome::Error);
                judged.part.error = Some(ProbeError::new(ErrorKind::Io, "the probe stopped unexpectedly"));
                return judged;
            }
        };
        // Shown as they are judged only once `settle` has learned the
        // step's captures: a failing expectation of the step that captures
        // a token quotes it (review-8-attack5 H8).
        let verdict = judge(&observation, unit.expect, &unit.prepared.target);
        let mut judged = self.unobserved(unit, verdict.outcome);
        judged.part.expectations = verdict.expectations;
        judged.part.error = verdict.error;
        judged.observation = Some(observation);
        judged
    }

    fn assumed(&self, unit: Unit<'a>, outcome: Outcome) -> Judged<'a> {
        let mut judged = self.unobserved(unit, outcome);
        judged.part.assumed = true;
        judged
    }

    /// A part with what ran and its outcome, nothing observed yet.
    fn unobserved(&self, unit: Unit<'a>, outcome: Outcome) -> Judged<'a> {
        let part = Part {
            name: unit.name,
            item: unit.item.map(|mut item| {
                self.redactor.json(&mut item);
                item
            }),
            probe: unit.prepared.kind,
            target: self.redactor.text(&unit.prepared.target).into_owned(),
            observation: None,
            expectations: Vec::new(),
            outcome,
            error: None,
            assumed: false,
            not_sent: None,
        };
        Judged { part, observation: None, capture: unit.capture }
    }
}

/// What `steps.ID` shows of the step's probes: the one probe's
/// observation (none when it observed nothing), or each item's or named
/// probe's facts and the failed ones.
fn probe_facts<'p>(
    shape: Shape,
    probes: impl Iterator<Item = (&'p Part, Option<&'p Observation>)> + Clone,
) -> Option<ProbedFacts> {
    let failed = probes.clone().filter(|(part, _)| part.outcome != Outcome::Pass).map(|(part, _)| part);
    match shape {
        Shape::Single => {
            let (_, observation) = probes.clone().next()?;
            observation.map(|observation| {
                ProbedFacts::One(Box::new(OneProbe {
                    observed: Some(observation.step_facts()),
                    probe_duration: crate::probe::millis(observation.duration()),
                }))
            })
        }
        Shape::Foreach => Some(ProbedFacts::Many(ManyFacts {
            items: Items::List(probes.map(|(part, observation)| item_facts(part, observation)).collect()),
            failed: failed.map(|part| part.item.clone().unwrap_or_default()).collect(),
        })),
        Shape::Group => Some(ProbedFacts::Many(ManyFacts {
            failed: failed.map(|part| Json::from(part.name.clone().unwrap_or_default())).collect(),
            items: Items::Named(
                probes
                    .map(|(part, observation)| (part.name.clone().unwrap_or_default(), item_facts(part, observation)))
                    .collect(),
            ),
        })),
    }
}

/// `steps.ID.items[i]`: an item's or named probe's outcome and observations.
fn item_facts(part: &Part, observation: Option<&Observation>) -> ItemFacts {
    ItemFacts {
        observed: observation.map(Observation::step_facts),
        duration: observation.map(|observation| crate::probe::millis(observation.duration())),
        error: observation.and_then(Observation::error).cloned(),
        outcome: part.outcome,
        item: part.item.clone(),
        name: part.name.clone(),
    }
}

/// For each unit, how many equal `foreach` items come before it.
fn repeats(units: &[Unit<'_>]) -> Vec<u32> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    units
        .iter()
        .map(|unit| {
            unit.item.as_ref().map_or(0, |item| {
                let count = seen.entry(item.to_string()).or_default();
                *count += 1;
                *count - 1
            })
        })
        .collect()
}

/// Four probes per core, at most 64.
fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(4, |cores| cores.get() * 4).min(MAX_CONCURRENCY)
}
