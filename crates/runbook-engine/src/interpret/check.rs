//! Running a `check` step: its probes run and judged (`probing.rs`), and
//! the outcome routes.

use runbook_model::{Probing, Step};
use tokio_util::sync::CancellationToken;

use super::{Interpreter, StepDone, Stop};

impl<'a> Interpreter<'a> {
    /// Runs and judges the probes; the outcome is the key that routes.
    pub(super) async fn check_step(
        &mut self,
        step: &'a Step,
        probing: &'a Probing,
        token: &CancellationToken,
    ) -> Result<StepDone, Stop> {
        self.probing_step(step, probing, token).await
    }
}
