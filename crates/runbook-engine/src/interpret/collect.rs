//! Running a `collect` step: its probes run for evidence
//! (`probing.rs`); the outcome is recorded but routes nowhere.

use runbook_model::{Probing, Step};
use tokio_util::sync::CancellationToken;

use super::{Interpreter, StepDone, Stop};

impl<'a> Interpreter<'a> {
    /// Runs the probes; the run goes on with `next` or the step below,
    /// whatever their outcome.
    pub(super) async fn collect_step(
        &mut self,
        step: &'a Step,
        probing: &'a Probing,
        token: &CancellationToken,
    ) -> Result<StepDone, Stop> {
        let mut done = self.probing_step(step, probing, token).await?;
        done.key = None;
        Ok(done)
    }
}
