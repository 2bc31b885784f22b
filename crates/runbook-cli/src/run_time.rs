//! The clock and the probe runner of `runbook run` and `runbook resume`:
//! the machine's, or virtual time when `RUNBOOK_VIRTUAL_CLOCK` is set.
//!
//! `RUNBOOK_VIRTUAL_CLOCK` exists for runbook's own tests, so that a run's
//! record is the same every time (the record goldens). Time starts at
//! 2026-01-01T00:00:00Z (a resume: at the journal's last time) and moves
//! only with retry waits and timeouts, which pass at once; probes still run
//! for real, and take no time (duration and http phases 0, an https
//! certificate's `days_left` counted from the virtual date). A step
//! or run `timeout` then fires as soon as its probes wait for anything, so
//! it is no way to run an incident: the record says its time was virtual.
//! The variable is read here only.

use std::sync::Arc;
use std::time::SystemTime;

use runbook_engine::clock::{Clock, SystemClock, VirtualClock};
use runbook_engine::probe::{Limits, ProbeCall, ProbeRunFuture, ProbeRunner, SystemProbes};
use tokio_util::sync::CancellationToken;

/// The variable that puts a run on virtual time: `1`, and no other value
/// (`0`, `false` or `no`, written to be sure it is off, leave it off).
const VIRTUAL_CLOCK: &str = "RUNBOOK_VIRTUAL_CLOCK";

/// What a run reads the time from and runs its probes with.
pub(crate) struct RunTime {
    /// The interpreter's and the journal's clock.
    pub clock: Arc<dyn Clock>,
    /// Runs every probe.
    pub probes: Arc<dyn ProbeRunner>,
}

impl RunTime {
    /// The machine's clock and probes, or virtual time (see the module)
    /// starting where `resumed_at` says a resumed run's journal left off,
    /// else at the fixed start.
    pub(crate) fn from_env(resumed_at: Option<SystemTime>) -> Self {
        if std::env::var_os(VIRTUAL_CLOCK).is_some_and(|value| value == "1") {
            let clock = resumed_at.map_or_else(VirtualClock::from_fixed_start, VirtualClock::new);
            Self { clock: Arc::new(clock), probes: Arc::new(Untimed) }
        } else {
            Self { clock: Arc::new(SystemClock), probes: Arc::new(SystemProbes) }
        }
    }
}

/// Real probes that take no time, as everything does on virtual time
/// (which stands still while tasks run).
struct Untimed;

impl ProbeRunner for Untimed {
    fn run<'a>(&'a self, call: &'a ProbeCall, limits: &'a Limits, cancel: &'a CancellationToken) -> ProbeRunFuture<'a> {
        Box::pin(async move {
            let mut observation = SystemProbes.run(call, limits, cancel).await?;
            observation.take_no_time();
            Ok(observation)
        })
    }
}
