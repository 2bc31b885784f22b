//! The third stage of the pipeline (load → analyse → **plan** → interpret):
//! a runbook that checked clean, turned into what the interpreter runs.
//!
//! The YAML types keep one `Option` per step kind and per probe kind, because
//! that is how a user writes them and how `check` reports a step with none or
//! two. A [`Plan`] is built only once `check` found no error, so each step
//! has exactly one [`StepBody`] and each probe exactly one [`Probe`] kind:
//! the interpreter matches on them, with no "has no kind" case left to
//! handle at run time.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::called_plan::Callees;
use crate::{
    Capture, Check, Checked, Code, DeclaredProbe, Diagnostic, Expectation, Flow, Level, Probe, Runbook, SecretFlow,
    Source, Span, Spanned, Step, StepBody,
};

/// A runbook ready to run: its text, its steps with their kinds resolved,
/// and its [`Flow`], built once and shared by the interpreter, the run's
/// graph and the record.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The text it was loaded from: run-time errors point into it, so a
    /// file edited during the run is never read again to report one.
    pub source: Source,
    /// The runbook as written (metadata, inputs, transitions).
    pub runbook: Runbook,
    /// Where each step can lead.
    pub flow: Flow,
    /// What each step does, indexed like `runbook.steps`.
    pub bodies: Vec<StepBody>,
    /// What `check` found that does not stop a run.
    pub warnings: Vec<Diagnostic>,
    /// The runbooks its `call` steps run, planned with it.
    pub callees: Callees,
    /// See [`Self::expressions`].
    expressions: OnceLock<IndexMap<String, String>>,
    /// See [`Self::templates`].
    templates: OnceLock<IndexMap<String, String>>,
    /// See [`Self::secret_flow`].
    secret_flow: OnceLock<SecretFlow>,
    /// See [`Self::reads_phases`].
    phases_read: OnceLock<HashSet<String>>,
}

/// A probe with the expectations that judge it and the captures that read
/// it.
#[derive(Debug, Clone)]
pub struct ProbeEntry {
    /// What runs.
    pub probe: Probe,
    /// All must hold for `pass`.
    pub expect: Vec<Spanned<Expectation>>,
    /// Values kept as `vars.NAME`.
    pub capture: IndexMap<Spanned<String>, Spanned<Capture>>,
}

/// How the probes of a `check` or `collect` step are laid out.
#[derive(Debug, Clone)]
pub enum Probes {
    /// One probe.
    Single(ProbeEntry),
    /// One probe run once per item of a list.
    Foreach {
        /// The probe, its templates reading the item.
        entry: ProbeEntry,
        /// The list, or a template that renders to one.
        items: Spanned<Json>,
        /// The item's name in templates (`item` unless `as:` says).
        item_name: String,
    },
    /// Named probes run concurrently.
    Group(IndexMap<String, ProbeEntry>),
}

/// The probes of a `check` or `collect` step.
#[derive(Debug, Clone)]
pub struct Probing {
    /// One, one per item, or a group.
    pub probes: Probes,
    /// How many run at once (default: the run's).
    pub concurrency: Option<u32>,
}

impl Probing {
    /// Each probe it runs, once.
    pub(crate) fn entries(&self) -> Vec<&ProbeEntry> {
        match &self.probes {
            Probes::Single(entry) | Probes::Foreach { entry, .. } => vec![entry],
            Probes::Group(group) => group.values().collect(),
        }
    }
}

impl Plan {
    /// Plans a checked runbook. Refused, with the diagnostics to show, when
    /// it did not load or has errors.
    pub fn new(checked: Checked) -> Result<Self, Box<Checked>> {
        let has_errors = checked.diagnostics.iter().any(|d| d.level() == Level::Error);
        match checked {
            Checked { source, runbook: Some(runbook), flow: Some(flow), mut diagnostics, invalid_callees }
                if !has_errors =>
            {
                match runbook.steps.iter().map(body).collect() {
                    Ok(bodies) => Ok(Self {
                        source,
                        runbook,
                        flow,
                        bodies,
                        warnings: diagnostics,
                        callees: Callees::default(),
                        expressions: OnceLock::new(),
                        templates: OnceLock::new(),
                        secret_flow: OnceLock::new(),
                        phases_read: OnceLock::new(),
                    }),
                    Err(diagnostic) => {
                        diagnostics.push(diagnostic);
                        Err(Box::new(Checked {
                            source,
                            runbook: Some(runbook),
                            flow: Some(flow),
                            diagnostics,
                            invalid_callees,
                        }))
                    }
                }
            }
            checked => Err(Box::new(checked)),
        }
    }

    /// Checks the bytes of the runbook file at `path`, following its `call`
    /// targets, and plans it with every runbook it calls, at any depth, from
    /// the bytes the check read: the one loader behind `check`, `run`,
    /// `resume` and `test`.
    pub fn load(path: &Path, bytes: &[u8]) -> Result<Self, Box<Checked>> {
        let (checked, called) = crate::calls::check_file_reading(path, bytes);
        let mut plan = Self::new(checked)?;
        plan.callees = called.plan()?;
        // A `call` step ends only in what its callee can give: the other
        // statuses' edges are impossible, neither drawn nor counted.
        for (index, called) in plan.callees.iter() {
            let keys = crate::call_keys(&plan.runbook.steps[index], &called.plan.runbook, &called.plan.flow);
            plan.flow.narrow(&plan.runbook, index, &keys);
        }
        Ok(plan)
    }

    /// Each expression (`when`, `stop_if`, a value that is one `{{ … }}`)
    /// as written, with the text the engine evaluates for it: its guards
    /// written in once per plan rather than at every evaluation, on the
    /// first call (when a run compiles the plan; `check` never asks).
    pub fn expressions(&self) -> &IndexMap<String, String> {
        self.expressions.get_or_init(|| crate::expression::planned_expressions(&self.runbook))
    }

    /// Each template whose blocks compare or take a truth (`{% if
    /// vars.replica %}` in a confirm text), as written, with the guarded
    /// text the engine renders for it; made on the first call, like
    /// [`Self::expressions`].
    pub fn templates(&self) -> &IndexMap<String, String> {
        self.templates.get_or_init(|| crate::expression::planned_templates(&self.runbook))
    }

    /// The values that are secrets without an input declaring them so: made
    /// on the first call, once the runbooks it calls are planned.
    pub fn secret_flow(&self) -> &SecretFlow {
        self.secret_flow.get_or_init(|| SecretFlow::of(self))
    }

    /// Whether a template or expression reads the `dns`, `connect` or `tls`
    /// phase of step `id`'s request (`steps.ID.timing.tls`, or
    /// `result.timing.tls` after its own probe): only a new connection has
    /// them, so that request opens one, as one whose expectations judge a
    /// phase does. Made on the first call.
    pub fn reads_phases(&self, id: &str) -> bool {
        self.phases_read.get_or_init(|| phases_read(&self.runbook)).contains(id)
    }

    /// Whether a `when` or `stop_if` reads the checklist of step `id`
    /// (`steps.ID.checklist.complete`): its ticks then decide a branch.
    pub fn checklist_decides(&self, id: &str) -> bool {
        crate::analyse::template_sites(&self.runbook)
            .iter()
            .filter(|site| site.kind == crate::analyse::TemplateKind::Expression && site.text.contains("checklist"))
            .flat_map(|site| crate::comparison::read_paths(site.text, false))
            .any(|path| matches!(path.as_slice(), [steps, step, checklist, ..] if steps == "steps" && step == id && checklist == "checklist"))
    }

    /// The runbooks its `call` steps run, by step id.
    pub fn called_runbooks(&self) -> BTreeMap<String, &Runbook> {
        self.callees
            .iter()
            .map(|(index, called)| (self.runbook.steps[index].id.value.clone(), &called.plan.runbook))
            .collect()
    }

    /// The step at `index` and what it does.
    pub fn step(&self, index: usize) -> (&Step, &StepBody) {
        (&self.runbook.steps[index], &self.bodies[index])
    }
}

/// The one kind of a step. `check` reports a step with none or two
/// (RB103), so the error here only guards a runbook planned unchecked.
fn body(step: &Step) -> Result<StepBody, Diagnostic> {
    let [declared] = step.declared()[..] else {
        return Err(Diagnostic::new(
            Code::StepKind,
            step.id.span,
            format!("step `{}` needs exactly one kind to run", step.id.value),
        ));
    };
    declared.planned()
}

/// The probes of a `check` or `collect` step as the plan runs them.
pub(crate) fn probing(check: &Spanned<Check>) -> Result<Probing, Diagnostic> {
    let single = |check: &Spanned<Check>| entry(check.span, &check.declared_probes(), &check.expect, &check.capture);
    let probes = match &check.probes {
        Some(group) => Probes::Group(
            group
                .iter()
                .map(|(name, member)| Ok((name.value.clone(), single(member)?)))
                .collect::<Result<_, Diagnostic>>()?,
        ),
        None => match &check.foreach {
            Some(items) => {
                Probes::Foreach { entry: single(check)?, items: items.clone(), item_name: check.item_name().to_owned() }
            }
            None => Probes::Single(single(check)?),
        },
    };
    Ok(Probing { probes, concurrency: check.concurrency.as_ref().map(|c| c.value) })
}

/// The single probe of a check, a `probes:` member or an action (written
/// at `span`), with its expectations and captures.
pub(crate) fn entry(
    span: Span,
    declared: &[DeclaredProbe<'_>],
    expect: &[Spanned<Expectation>],
    capture: &IndexMap<Spanned<String>, Spanned<Capture>>,
) -> Result<ProbeEntry, Diagnostic> {
    let [probe] = declared else {
        return Err(Diagnostic::new(Code::ProbeShape, span, "needs exactly one probe to run"));
    };
    Ok(ProbeEntry { probe: probe.planned(), expect: expect.to_vec(), capture: capture.clone() })
}

/// The ids of the steps whose request's `dns`, `connect` or `tls` phase some
/// template or expression reads (see [`Plan::reads_phases`]); reading
/// `timing` whole counts.
fn phases_read(runbook: &Runbook) -> HashSet<String> {
    let steps = &runbook.steps.value;
    let mut read = HashSet::new();
    for site in crate::analyse::template_sites(runbook).iter().filter(|site| site.text.contains("timing")) {
        let template = site.kind != crate::analyse::TemplateKind::Expression;
        for path in crate::comparison::read_paths(site.text, template) {
            let phase =
                |rest: &[String]| rest.first().is_none_or(|phase| ["dns", "connect", "tls"].contains(&phase.as_str()));
            match path.as_slice() {
                [root, step, timing, rest @ ..] if root == "steps" && timing == "timing" && phase(rest) => {
                    read.insert(step.clone());
                }
                [root, timing, rest @ ..]
                    if root == "result" && timing == "timing" && site.after_probe && phase(rest) =>
                {
                    if let Some(step) = site.step.and_then(|index| steps.get(index)) {
                        read.insert(step.id.value.clone());
                    }
                }
                _ => {}
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProbeKind, StepKind};

    fn plan(yaml: &str) -> Result<Plan, Box<Checked>> {
        Plan::new(crate::check_bytes("plan.yaml", yaml.as_bytes()))
    }

    #[test]
    fn each_step_has_its_one_kind_and_each_probe_its_one_kind() {
        let plan = plan(
            r#"
id: p
title: P
inputs:
  hosts: { type: list, default: [a, b] }
steps:
  - id: one
    check: { http: { url: "http://127.0.0.1:1/" }, expect: [ { status: 200 } ] }
  - id: each
    collect: { tcp: { host: "{{ item }}", port: 80 }, foreach: "{{ inputs.hosts }}", as: item }
  - id: group
    check:
      probes:
        web: { http: { url: "http://127.0.0.1:1/" } }
        env: { env: { set: [HOME] } }
  - id: fix
    action: { cmd: { argv: ["true"] }, confirm: restart }
  - id: q
    ask: { question: go?, type: confirm }
  - id: end
    conclude: { status: resolved }
"#,
        )
        .unwrap_or_else(|checked| panic!("{:?}", checked.diagnostics));
        let kinds: Vec<StepKind> = plan.bodies.iter().map(StepBody::kind).collect();
        assert_eq!(
            kinds,
            [StepKind::Check, StepKind::Collect, StepKind::Check, StepKind::Action, StepKind::Ask, StepKind::Conclude]
        );
        let probes = |index: usize| -> Vec<ProbeKind> {
            plan.bodies[index].probes().into_iter().map(|entry| entry.probe.kind()).collect()
        };
        assert_eq!(probes(0), [ProbeKind::Http]);
        assert_eq!(probes(2), [ProbeKind::Http, ProbeKind::Env]);
        assert_eq!(probes(3), [ProbeKind::Cmd]);
        assert!(probes(4).is_empty());
        let StepBody::Collect(Probing { probes: Probes::Foreach { item_name, entry, .. }, .. }) = &plan.bodies[1]
        else {
            panic!("{:?}", plan.bodies[1]);
        };
        assert_eq!((item_name.as_str(), entry.probe.kind()), ("item", ProbeKind::Tcp));
        let StepBody::Check(Probing { probes: Probes::Single(entry), .. }) = &plan.bodies[0] else { panic!() };
        assert_eq!(entry.expect.len(), 1);
        assert_eq!(plan.flow.start, Some(0));
        assert_eq!(plan.step(5).0.id.value, "end");
    }

    #[test]
    fn a_runbook_with_errors_is_not_planned_and_keeps_its_diagnostics() {
        let refused = plan("id: p\ntitle: P\nsteps:\n  - id: a\n    next: nowhere\n").unwrap_err();
        let codes: Vec<Code> = refused.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&Code::StepKind), "{codes:?}");
        assert!(codes.contains(&Code::UnknownStep), "{codes:?}");
        assert!(plan("id: p\ntitle: [\n").unwrap_err().runbook.is_none());
    }
}
