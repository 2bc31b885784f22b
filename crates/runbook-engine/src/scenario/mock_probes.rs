//! The probe runner of `runbook test`: every probe execution is answered
//! from the case's mocked observations. Nothing is spawned, no socket is
//! opened. A probe the case does not mock stops the run and is reported,
//! so a case can never pass on an observation nobody wrote.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_model::{MockErrorKind, MockSpec, Spanned, StepMock};
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, VirtualClock};
use crate::probe::{
    CmdObservation, ErrorKind, Limits, Observation, ProbeCall, ProbeError, ProbeResult, ProbeRunFuture, ProbeRunner,
};

/// A probe of a run: step, probe name in a group, `foreach` item and how
/// many equal items come before it.
type ProbeKey = (String, Option<String>, Option<String>, u32);

/// Answers probes from one case's `observations`.
pub(crate) struct MockProbes {
    observations: IndexMap<String, Spanned<StepMock>>,
    clock: VirtualClock,
    /// Cancelled when a probe has no observation: the run stops there.
    stop: CancellationToken,
    /// What the case lacks, in the order found.
    missing: Mutex<Vec<String>>,
    /// How often each probe (step, probe name, item) has run: a list of
    /// observations is read in this order, across attempts and visits.
    runs: Mutex<HashMap<ProbeKey, u32>>,
}

impl MockProbes {
    /// A runner for `observations`, waiting mocked durations on `clock`;
    /// it cancels `stop` at the first probe it cannot answer.
    pub(crate) fn new(
        observations: IndexMap<String, Spanned<StepMock>>,
        clock: VirtualClock,
        stop: CancellationToken,
    ) -> Self {
        Self { observations, clock, stop, missing: Mutex::new(Vec::new()), runs: Mutex::new(HashMap::new()) }
    }

    /// The probes that ran without an observation, as messages.
    pub(crate) fn missing(&self) -> Vec<String> {
        self.missing.lock().map(|list| list.clone()).unwrap_or_default()
    }

    fn lacks(&self, message: String) -> ProbeResult {
        if let Ok(mut list) = self.missing.lock() {
            list.push(message);
        }
        self.stop.cancel();
        Err(ProbeError::new(ErrorKind::Interrupted, "the case has no observation for this probe"))
    }

    /// Which run of its probe `call` is, from 1.
    fn run_number(&self, call: &ProbeCall) -> u32 {
        let key = (call.step.clone(), call.name.clone(), call.item.as_ref().map(item_key), call.repeat);
        let Ok(mut runs) = self.runs.lock() else { return call.attempt };
        let count = runs.entry(key).or_default();
        *count += 1;
        *count
    }

    /// The observation for `call`, or what is missing.
    fn answer(&self, call: &ProbeCall) -> Result<ProbeResult, String> {
        let probe = describe(call);
        let number = self.run_number(call);
        let mock = self.observations.get(&call.step).ok_or_else(|| {
            format!(
                "step `{}` ran {probe}, but the case has no observation for it: add `observations: {{ {}: … }}`",
                call.step, call.step
            )
        })?;
        let spec = select(&mock.value, call, number).ok_or_else(|| {
            let which = match (&call.name, &call.item) {
                (Some(name), _) => format!(" for probe `{name}` (under `probes:`)"),
                (None, Some(item)) => format!(" for item `{}` (under `items:` or `default:`)", item_key(item)),
                (None, None) => String::new(),
            };
            format!("step `{}` ran {probe}, but its observation has nothing{which}", call.step)
        })?;
        observation(spec, call).map_err(|what| format!("step `{}` ran {probe}, but {what}", call.step))
    }
}

impl ProbeRunner for MockProbes {
    fn run<'a>(&'a self, call: &'a ProbeCall, _: &'a Limits, cancel: &'a CancellationToken) -> ProbeRunFuture<'a> {
        Box::pin(async move {
            let result = match self.answer(call) {
                Ok(result) => result,
                Err(message) => return self.lacks(message),
            };
            let took = match &result {
                Ok(observation) => observation.duration(),
                Err(_) => Duration::ZERO,
            };
            // A probe slower than its own timeout gives up at the timeout,
            // as the real one does.
            let (result, took) = match call.timeout {
                Some(limit) if took > limit => (timed_out(call, limit, result), limit),
                _ => (result, took),
            };
            if took.is_zero() {
                return result;
            }
            // The probe "takes" its duration on the virtual clock, so a step
            // timeout shorter than it wins, as it would for real.
            tokio::select! {
                () = self.clock.sleep(took) => result,
                () = cancel.cancelled() => Err(ProbeError::new(ErrorKind::Interrupted, "stopped while the probe ran")),
            }
        })
    }
}

/// What `call`'s probe reports when it gives up after `limit`, instead of
/// the `mocked` result: a command keeps the output the mock gives it, as
/// the real probe keeps what the command wrote before it was killed.
fn timed_out(call: &ProbeCall, limit: Duration, mocked: ProbeResult) -> ProbeResult {
    let message = format!("no answer within {} (mocked duration)", crate::probe::human(limit));
    let stopped = crate::probe::failed(call, ProbeError::new(ErrorKind::Timeout, message), limit);
    match (stopped, mocked) {
        (Ok(Observation::Cmd(stopped)), Ok(Observation::Cmd(written))) => {
            Ok(Observation::Cmd(CmdObservation { stdout: written.stdout, stderr: written.stderr, ..stopped }))
        }
        (stopped, _) => stopped,
    }
}

/// `the http probe (GET http://…)`.
fn describe(call: &ProbeCall) -> String {
    format!("its `{}` probe ({})", call.kind.name(), call.target)
}

/// How a `foreach` item is named under `items:`: strings as written,
/// other values as JSON.
fn item_key(item: &Json) -> String {
    match item {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The spec that answers the `number`-th run of `call`'s probe: by run,
/// then by probe name or item.
fn select<'m>(mock: &'m StepMock, call: &ProbeCall, number: u32) -> Option<&'m MockSpec> {
    let spec = mock.attempt(number)?;
    if let (Some(name), Some(probes)) = (&call.name, &spec.probes) {
        let sub = probes.iter().find(|(declared, _)| declared.as_str() == name.as_str())?;
        return select(&sub.1.value, call, number);
    }
    if let Some(item) = &call.item
        && (spec.items.is_some() || spec.default.is_some())
    {
        let key = item_key(item);
        let by_item = spec.items.iter().flat_map(|items| items.iter()).find(|(name, _)| name.as_str() == key);
        let sub = by_item.map(|(_, mock)| mock).or(spec.default.as_deref())?;
        return select(&sub.value, call, number);
    }
    spec.is_observation().then_some(spec)
}

/// The engine's observation for a mocked one; `Err` says what does not fit
/// the probe.
fn observation(spec: &MockSpec, call: &ProbeCall) -> Result<ProbeResult, String> {
    if let Some(error) = &spec.error {
        let kind = error_kind(error.kind);
        let message = error.message.clone().unwrap_or_else(|| format!("{} (mocked)", kind.name()));
        return Ok(crate::probe::failed(call, ProbeError::new(kind, message), Duration::ZERO));
    }
    let mocked = spec.mocked();
    let Some(fitting) = mocked.iter().find(|mock| mock.kind() == call.kind) else {
        let given = mocked.first().map(|mock| format!("a `{}` probe's", mock.kind().name()));
        return Err(format!("the case mocks {} observation for it", given.as_deref().unwrap_or("an empty")));
    };
    crate::probe::mocked(*fitting, call)
}

fn error_kind(kind: MockErrorKind) -> ErrorKind {
    match kind {
        MockErrorKind::Timeout => ErrorKind::Timeout,
        MockErrorKind::Refused => ErrorKind::Refused,
        MockErrorKind::Dns => ErrorKind::Dns,
        MockErrorKind::Tls => ErrorKind::Tls,
        MockErrorKind::Reset => ErrorKind::Reset,
        MockErrorKind::TooManyRedirects => ErrorKind::TooManyRedirects,
        MockErrorKind::InvalidTarget => ErrorKind::InvalidTarget,
        MockErrorKind::InvalidJson => ErrorKind::InvalidJson,
        MockErrorKind::SpawnFailed => ErrorKind::SpawnFailed,
        MockErrorKind::Killed => ErrorKind::Killed,
        MockErrorKind::Io => ErrorKind::Io,
    }
}
