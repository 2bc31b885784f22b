//! The one door every probe goes through. The interpreter never runs a
//! prepared probe itself: it hands a [`ProbeCall`] to the run's
//! [`ProbeRunner`]. A real run uses [`SystemProbes`], which runs the probe;
//! `runbook test` and scenario tests plug in a runner that answers with
//! mocked observations, so that a runbook's branches can be driven without
//! the systems it looks at.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use runbook_model::ProbeKind;
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::{Limits, Observation, Probe, ProbeError};

/// One execution of one probe, as the interpreter asks for it: which step,
/// which probe of the step, which attempt, and what to run.
///
/// Everything is rendered and unredacted: a mock matches on it, and a real
/// runner runs [`ProbeCall::spec`].
#[derive(Clone)]
pub struct ProbeCall {
    /// The step's id as events name it: `call-step/inner-step` inside a
    /// called runbook.
    pub step: String,
    /// The probe's name in a `probes:` group.
    pub name: Option<String>,
    /// The `foreach` item this probe runs for.
    pub item: Option<Json>,
    /// How many equal `foreach` items come before this one in the list (0
    /// for the first): equal items are separate probes.
    pub repeat: u32,
    /// The attempt, from 1 (`retry` polls again with 2, 3, …; an action has
    /// one attempt).
    pub attempt: u32,
    /// The probe's kind.
    pub kind: ProbeKind,
    /// What runs, as the events and the record show it: `GET http://…`, the
    /// command line, `tcp host:port`, `env set: A, B`.
    pub target: String,
    /// The rendered spec, ready to run.
    pub spec: Arc<dyn Probe>,
    /// How long the probe may take before it gives up with a timeout
    /// (`None` for an `env` probe): a mock that takes longer times out.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for ProbeCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeCall")
            .field("step", &self.step)
            .field("name", &self.name)
            .field("item", &self.item)
            .field("repeat", &self.repeat)
            .field("attempt", &self.attempt)
            .field("kind", &self.kind)
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What a [`ProbeRunner`] gives back: an observation to judge, or an error
/// that left nothing to judge (the step's outcome is then `error`, and
/// `result.error.kind` is the error's kind).
pub(crate) type ProbeResult = Result<Observation, ProbeError>;

/// A future a [`ProbeRunner`] returns; boxed so that runners can be trait
/// objects.
pub type ProbeRunFuture<'a> = Pin<Box<dyn Future<Output = ProbeResult> + Send + 'a>>;

/// Runs the probes of a run: the interpreter calls it once for every probe
/// execution, of `check`, `collect` and `action` steps alike, possibly
/// several at once (a `probes:` group, a `foreach`). Not called in a dry
/// run, whose outcomes are assumed.
pub trait ProbeRunner: Send + Sync {
    /// Runs `call` within `limits`. When `cancel` fires (Ctrl-C, a timeout)
    /// the probe should stop promptly and report
    /// [`super::ErrorKind::Interrupted`].
    fn run<'a>(&'a self, call: &'a ProbeCall, limits: &'a Limits, cancel: &'a CancellationToken) -> ProbeRunFuture<'a>;
}

/// Runs each probe for real, against the systems it names.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemProbes;

impl ProbeRunner for SystemProbes {
    fn run<'a>(&'a self, call: &'a ProbeCall, limits: &'a Limits, cancel: &'a CancellationToken) -> ProbeRunFuture<'a> {
        Box::pin(async move { Ok(call.spec.observe(limits, cancel).await) })
    }
}
