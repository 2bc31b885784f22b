//! The runbooks a plan's `call` steps run, planned once with the plan from
//! the very bytes `check` read and checked: a run uses these plans at every
//! visit of a `call`, so a called file edited (or broken) during the run
//! has no effect on it, and one that does not check clean stops the run
//! before its first step, as `check` reports it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Checked, Plan};

/// A runbook a `call` step runs, read, checked and planned once.
#[derive(Debug)]
pub struct CalledPlan {
    /// SHA-256 of the file's bytes as they were read, hex: the journal keeps
    /// it, and `resume` compares it with the file's bytes then.
    pub sha256: String,
    /// Its plan, whose [`Plan::callees`] are filled in turn.
    pub plan: Plan,
}

/// The runbooks a plan's `call` steps run, by step index. Empty for a plan
/// built from bytes alone ([`Plan::new`]); [`Plan::load`] fills it.
#[derive(Debug, Clone, Default)]
pub struct Callees(BTreeMap<usize, Arc<CalledPlan>>);

impl Callees {
    /// The runbook the `call` step at `index` runs.
    pub fn of_step(&self, index: usize) -> Option<&Arc<CalledPlan>> {
        self.0.get(&index)
    }

    /// Each `call` step's index with the runbook it runs, in step order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Arc<CalledPlan>)> {
        self.0.iter().map(|(index, called)| (*index, called))
    }
}

/// SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// What following a runbook's calls read: each called file once, checked,
/// and which file each `call` step names.
#[derive(Debug, Default)]
pub(crate) struct CalledFiles {
    /// The calling runbook's canonical path.
    pub(crate) root: PathBuf,
    /// Each called file, by canonical path: the hash of its bytes and the
    /// check of them.
    pub(crate) files: HashMap<PathBuf, (String, Checked)>,
    /// The file a `call` step names, by the caller's canonical path and the
    /// step's index.
    pub(crate) calls: HashMap<(PathBuf, usize), PathBuf>,
}

impl CalledFiles {
    /// Plans every file the calling runbook calls, at any depth, each
    /// once; the plans its `call` steps name. A file that does not plan
    /// refuses the whole, with its own diagnostics.
    pub(crate) fn plan(mut self) -> Result<Callees, Box<Checked>> {
        let root = std::mem::take(&mut self.root);
        self.callees_of(&root, &mut Vec::new(), &mut HashMap::new())
    }

    fn callees_of(
        &mut self,
        caller: &Path,
        running: &mut Vec<PathBuf>,
        planned: &mut HashMap<PathBuf, Arc<CalledPlan>>,
    ) -> Result<Callees, Box<Checked>> {
        let mut calls: Vec<(usize, PathBuf)> = self
            .calls
            .iter()
            .filter(|((from, _), _)| from == caller)
            .map(|((_, index), file)| (*index, file.clone()))
            .collect();
        calls.sort();
        running.push(caller.to_owned());
        let mut callees = BTreeMap::new();
        for (index, file) in calls {
            if let Some(done) = planned.get(&file) {
                callees.insert(index, Arc::clone(done));
                continue;
            }
            // `check` refuses a cycle, an unreadable file and a chain too
            // deep, so the plan is never built with one of them.
            if running.contains(&file) {
                continue;
            }
            let Some((sha256, checked)) = self.files.remove(&file) else { continue };
            let mut plan = Plan::new(checked)?;
            plan.callees = self.callees_of(&file, running, planned)?;
            let planned_file = Arc::new(CalledPlan { sha256, plan });
            planned.insert(file, Arc::clone(&planned_file));
            callees.insert(index, planned_file);
        }
        running.pop();
        Ok(Callees(callees))
    }
}
