//! `steps.ID`: what a step that ran holds for later templates, one type
//! per step kind, built by the step's module, journaled in its
//! `step_finished` event and read back by `resume` as the same type.
//!
//! Runbooks read these names flat (`steps.p.status`, `steps.p.duration`,
//! `steps.c.vars`): each kind's facts, and a probe's observed facts within
//! them, are flattened beside the step's own (`outcome`, `error`,
//! `duration`). The types keep them apart, so no name is written twice:
//! `duration` is the step's (tries and waits included), the probe's is
//! `probe_duration`. What `check` knows of `steps.ID` (RB313) is the same
//! list of names; a test holds the two equal.

use indexmap::IndexMap;
use runbook_model::Outcome;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;

use crate::event::{ActionDecision, ConclusionView};
use crate::probe::{ObservedFacts, ProbeError};
use crate::redact::{Redact, Redactor};

/// `steps.ID` once the step ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFacts {
    /// What the step's kind shows.
    #[serde(flatten)]
    pub kind: KindFacts,
    /// Its outcome, for steps that judge or run probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why the outcome is `error`, or the `timeout:` that cut the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProbeError>,
    /// How long the step took, in milliseconds: tries and waits included,
    /// an action's confirmation not.
    pub duration: u64,
}

impl StepFacts {
    /// The facts as templates and the journal read them.
    pub(crate) fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// What one kind of step shows. Read back untagged: each variant has a
/// field no variant before it can hold, and an empty map is
/// [`KindFacts::Nothing`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KindFacts {
    /// An `action`.
    Action(ActionFacts),
    /// An `ask`.
    Ask(AskFacts),
    /// An `instruct`.
    Instruct(InstructFacts),
    /// A `check` or `collect` that observed something.
    Probed(ProbedFacts),
    /// A `call`.
    Call(Box<CallFacts>),
    /// A `conclude`, or a `check` or `collect` whose probe observed nothing
    /// (its `error` says why).
    Nothing(NoFacts),
}

impl Default for KindFacts {
    fn default() -> Self {
        Self::Nothing(NoFacts {})
    }
}

impl KindFacts {
    /// A `check`'s or `collect`'s facts: what its probes observed, if
    /// anything.
    pub(crate) fn probed(probed: Option<ProbedFacts>) -> Self {
        probed.map_or_else(Self::default, Self::Probed)
    }

    /// What its probes observed, for a step that runs probes.
    pub(crate) fn probed_facts(self) -> Option<ProbedFacts> {
        match self {
            Self::Probed(probed) => Some(probed),
            Self::Action(ActionFacts { probe, .. }) => probe.map(ProbedFacts::One),
            Self::Nothing(_) | Self::Ask(_) | Self::Instruct(_) | Self::Call(_) => None,
        }
    }

    /// The same facts with what the step's probes observed, built only
    /// now (see [`crate::event::EventSink::reads_step_facts`]).
    pub(crate) fn with_probed(self, probed: Option<ProbedFacts>) -> Self {
        match self {
            Self::Action(action) => Self::Action(ActionFacts { probe: probed.and_then(ProbedFacts::one), ..action }),
            Self::Nothing(_) | Self::Probed(_) => Self::probed(probed),
            kind @ (Self::Ask(_) | Self::Instruct(_) | Self::Call(_)) => kind,
        }
    }
}

/// What a step's facts hold of its probes' observations, where the
/// journal looks for what its `probe` events show already
/// (`record/repeated.rs`).
pub(crate) enum ProbedRef<'f> {
    /// A step's single probe, or an action's.
    One(&'f OneProbe),
    /// The items of a `foreach` or a `probes:` group.
    Many(&'f ManyFacts),
}

/// [`ProbedRef`], to put back what the journal left out.
pub(crate) enum ProbedMut<'f> {
    /// A step's single probe, or an action's.
    One(&'f mut OneProbe),
    /// The items of a `foreach` or a `probes:` group.
    Many(&'f mut ManyFacts),
}

impl KindFacts {
    /// What it holds of its probes' observations; none for a kind that
    /// runs no probes, or whose probe did not run.
    pub(crate) fn probed_ref(&self) -> Option<ProbedRef<'_>> {
        match self {
            Self::Probed(ProbedFacts::One(one)) | Self::Action(ActionFacts { probe: Some(one), .. }) => {
                Some(ProbedRef::One(one))
            }
            Self::Probed(ProbedFacts::Many(many)) => Some(ProbedRef::Many(many)),
            Self::Action(ActionFacts { probe: None, .. })
            | Self::Ask(_)
            | Self::Instruct(_)
            | Self::Call(_)
            | Self::Nothing(_) => None,
        }
    }

    /// [`KindFacts::probed_ref`], to change.
    pub(crate) fn probed_mut(&mut self) -> Option<ProbedMut<'_>> {
        match self {
            Self::Probed(ProbedFacts::One(one)) | Self::Action(ActionFacts { probe: Some(one), .. }) => {
                Some(ProbedMut::One(one))
            }
            Self::Probed(ProbedFacts::Many(many)) => Some(ProbedMut::Many(many)),
            Self::Action(ActionFacts { probe: None, .. })
            | Self::Ask(_)
            | Self::Instruct(_)
            | Self::Call(_)
            | Self::Nothing(_) => None,
        }
    }

    /// A copy with `probed` in place of what its probes observed, and all
    /// else of its own (the journal's copy, see `record/repeated.rs`);
    /// none for a kind that runs no probes.
    pub(crate) fn copy_with(&self, probed: ProbedFacts) -> Option<Self> {
        match self {
            Self::Action(ActionFacts { decision, assumed, probe: _ }) => {
                Some(Self::Action(ActionFacts { decision: *decision, assumed: *assumed, probe: probed.one() }))
            }
            Self::Probed(_) => Some(Self::Probed(probed)),
            Self::Ask(_) | Self::Instruct(_) | Self::Call(_) | Self::Nothing(_) => None,
        }
    }
}

/// Nothing of its own: read back only from facts with nothing but the
/// step's own, so that facts of a kind that do not read as that kind are
/// refused rather than taken for none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFacts {}

/// An `action`'s facts: the decision, and what its probe observed if it
/// ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionFacts {
    /// Run, declined, or not in this mode.
    pub decision: ActionDecision,
    /// A dry run's `--assume` gave its outcome.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assumed: bool,
    /// What its probe observed, when it ran.
    #[serde(flatten)]
    pub probe: Option<Box<OneProbe>>,
}

/// An `ask`'s facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskFacts {
    /// The answer, typed as the question asks (bool, number, text, choice).
    pub answer: Json,
}

/// An `instruct`'s facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructFacts {
    /// Each note the step asks for: what the operator wrote, or none.
    pub notes: IndexMap<String, Option<String>>,
    /// Its checklist, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<Checklist>,
}

/// The items of an `instruct` checklist, as the operator ticked them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    /// Ticked, in the checklist's order.
    pub ticked: Vec<String>,
    /// Not ticked, in the checklist's order.
    pub unticked: Vec<String>,
    /// Whether every item was ticked.
    pub complete: bool,
}

/// A `call`'s facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallFacts {
    /// The called runbook's vars when it ended.
    pub vars: IndexMap<String, Json>,
    /// Its conclusion; none when it did not conclude.
    pub conclusion: Option<ConclusionView>,
    /// Why it did not conclude (the call's `error` outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its vars that a probe without an answer left unset or at their
    /// capture's `default:`, by name: a caller's condition does not route
    /// on them either.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub no_answer: IndexMap<String, NoAnswerVar>,
}

/// A called runbook's var left by a probe that gave no answer
/// (`steps.CALL.no_answer.NAME`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoAnswerVar {
    /// The called runbook's step whose probe gave no answer.
    pub step: String,
    /// Its error.
    pub error: ProbeError,
    /// Whether the var holds its capture's `default:` (else it is unset).
    pub defaulted: bool,
}

/// What a `check` or `collect` observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProbedFacts {
    /// Of a `foreach` or a `probes:` group.
    Many(ManyFacts),
    /// Of its one probe (boxed: the largest of the observed facts is three
    /// times a group's).
    One(Box<OneProbe>),
}

impl ProbedFacts {
    /// The one probe's facts (an action runs one probe).
    fn one(self) -> Option<Box<OneProbe>> {
        match self {
            Self::One(one) => Some(one),
            Self::Many(_) => None,
        }
    }
}

/// One probe's observation, at the step's level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneProbe {
    /// What it observed, named like its subjects. Always there in a run;
    /// none only in a journal line, which leaves out what its `probe`
    /// event holds (the journal's reader puts it back).
    #[serde(flatten)]
    pub observed: Option<ObservedFacts>,
    /// How long the probe took, in milliseconds (`duration` is the
    /// step's).
    pub probe_duration: u64,
}

/// The facts of a `foreach` or a `probes:` group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManyFacts {
    /// Each item's or named probe's facts.
    pub items: Items,
    /// The items (or probe names) that did not pass.
    pub failed: Vec<Json>,
}

/// `steps.ID.items`: a list for `foreach`, a map by name for `probes:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Items {
    /// One per `foreach` item, in order.
    List(Vec<ItemFacts>),
    /// One per named probe, in order.
    Named(IndexMap<String, ItemFacts>),
}

/// One item's or named probe's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemFacts {
    /// What it observed, when it observed something.
    #[serde(flatten)]
    pub observed: Option<ObservedFacts>,
    /// How long its probe took, in milliseconds, when it observed
    /// something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// Why it observed nothing to judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProbeError>,
    /// Its outcome.
    pub outcome: Outcome,
    /// The `foreach` item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Json>,
    /// The probe's name in a `probes:` group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Redact for StepFacts {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { kind, outcome: _, error, duration: _ } = self;
        kind.redact(redactor);
        error.redact(redactor);
    }
}

impl Redact for KindFacts {
    fn redact(&mut self, redactor: &Redactor) {
        match self {
            Self::Action(ActionFacts { decision: _, assumed: _, probe }) => probe.redact(redactor),
            Self::Ask(AskFacts { answer }) => answer.redact(redactor),
            Self::Instruct(InstructFacts { notes, checklist }) => {
                notes.redact(redactor);
                if let Some(Checklist { ticked, unticked, complete: _ }) = checklist {
                    ticked.redact(redactor);
                    unticked.redact(redactor);
                }
            }
            Self::Probed(ProbedFacts::One(one)) => one.redact(redactor),
            Self::Probed(ProbedFacts::Many(ManyFacts { items, failed })) => {
                match items {
                    Items::List(items) => items.redact(redactor),
                    Items::Named(items) => items.redact(redactor),
                }
                failed.redact(redactor);
            }
            Self::Call(call) => {
                let CallFacts { vars, conclusion, message, no_answer } = &mut **call;
                vars.redact(redactor);
                conclusion.redact(redactor);
                message.redact(redactor);
                no_answer.redact(redactor);
            }
            Self::Nothing(NoFacts {}) => {}
        }
    }
}

impl Redact for NoAnswerVar {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { step, error, defaulted: _ } = self;
        step.redact(redactor);
        error.redact(redactor);
    }
}

impl Redact for OneProbe {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { observed, probe_duration: _ } = self;
        observed.redact(redactor);
    }
}

impl Redact for ItemFacts {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { observed, duration: _, error, outcome: _, item, name } = self;
        observed.redact(redactor);
        error.redact(redactor);
        item.redact(redactor);
        name.redact(redactor);
    }
}

/// Reads `json: null` (an output that is the JSON `null`) as a value,
/// not as no value: the fact is there, and none.
pub(crate) fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeSet;

    use runbook_model::{
        CHECKLIST_FACTS, ConclusionStatus, ERROR_FACTS, ProbeKind, StepKind, TIMING_FACTS, known_facts,
    };

    use super::*;
    use crate::probe::{
        Certificate, CmdFacts, EnvFacts, EnvVarFacts, ErrorKind, HttpFacts, Redirect, TcpFacts, TimingFacts,
    };

    /// A probe of each kind, as YAML, and its facts with every field set:
    /// a new kind does not compile until it is here.
    fn probe(kind: ProbeKind) -> (&'static str, ObservedFacts) {
        match kind {
            ProbeKind::Http => (
                r#"http: { url: "http://127.0.0.1:1/" }"#,
                ObservedFacts::Http(Box::new(HttpFacts {
                    status: Some(200),
                    headers: IndexMap::new(),
                    json: Some(Json::Null),
                    body: "null".into(),
                    body_dropped_bytes: 0,
                    final_url: Some("http://x/".into()),
                    proxy: Some("http://proxy:3128".into()),
                    redirects: vec![Redirect { status: 302, to: "http://x/".into(), proxy: None }],
                    tls: Some(Certificate {
                        issuer: "CN=CA".into(),
                        subject: "CN=x".into(),
                        not_before: "2026-01-01T00:00:00Z".into(),
                        not_after: "2027-01-01T00:00:00Z".into(),
                        days_left: 30,
                    }),
                    timing: Some(TimingFacts { dns: None, connect: Some(1), tls: None, first_byte: Some(2) }),
                })),
            ),
            ProbeKind::Cmd => (
                "cmd: { argv: [echo, '1'] }",
                ObservedFacts::Cmd(CmdFacts {
                    exit_code: Some(0),
                    signal: Some(9),
                    timed_out: false,
                    json: Some(Json::from(1)),
                    stdout: "1".into(),
                    stderr: String::new(),
                    stdout_dropped_bytes: 0,
                    stderr_dropped_bytes: 0,
                }),
            ),
            ProbeKind::Tcp => (
                "tcp: { host: 127.0.0.1, port: 1 }",
                ObservedFacts::Tcp(TcpFacts { connected: true, address: Some("127.0.0.1:1".into()) }),
            ),
            ProbeKind::Env => (
                "env: { set: [HOME] }",
                ObservedFacts::Env(EnvFacts {
                    vars: [("HOME".to_owned(), EnvVarFacts { set: true, non_empty: true })].into_iter().collect(),
                    missing: Vec::new(),
                }),
            ),
        }
    }

    fn one(kind: ProbeKind) -> Box<OneProbe> {
        Box::new(OneProbe { observed: Some(probe(kind).1), probe_duration: 3 })
    }

    fn timeout() -> ProbeError {
        ProbeError::new(ErrorKind::Timeout, "the step's timeout of 5s passed")
    }

    /// Steps of a kind, as YAML (without `id:`), each with its facts with
    /// every field the engine can give it set: a new kind does not compile
    /// until it is here.
    fn steps(kind: StepKind) -> Vec<(String, StepFacts)> {
        let facts = |kind, outcome, error| StepFacts { kind, outcome, error, duration: 12 };
        let probed = |probe_kind| {
            facts(KindFacts::Probed(ProbedFacts::One(one(probe_kind))), Some(Outcome::Pass), Some(timeout()))
        };
        match kind {
            StepKind::Check | StepKind::Collect => {
                let mut steps: Vec<(String, StepFacts)> = ProbeKind::ALL
                    .into_iter()
                    .map(|probe_kind| (format!("{}: {{ {} }}", kind.name(), probe(probe_kind).0), probed(probe_kind)))
                    .collect();
                let item = ItemFacts {
                    observed: Some(probe(ProbeKind::Cmd).1),
                    duration: Some(3),
                    error: None,
                    outcome: Outcome::Pass,
                    item: Some(Json::from(1)),
                    name: None,
                };
                let many = ManyFacts { items: Items::List(vec![item]), failed: vec![Json::from(2)] };
                steps.push((
                    format!("{}: {{ foreach: \"{{{{ [1, 2] }}}}\", cmd: {{ argv: [echo] }} }}", kind.name()),
                    facts(KindFacts::Probed(ProbedFacts::Many(many)), Some(Outcome::Fail), Some(timeout())),
                ));
                steps
            }
            StepKind::Action => vec![(
                "action: { cmd: { argv: [true] } }".into(),
                facts(
                    KindFacts::Action(ActionFacts {
                        decision: ActionDecision::Run,
                        assumed: true,
                        probe: Some(one(ProbeKind::Cmd)),
                    }),
                    Some(Outcome::Pass),
                    Some(timeout()),
                ),
            )],
            StepKind::Ask => vec![
                (
                    "ask: { question: Go?, type: confirm }".into(),
                    facts(KindFacts::Ask(AskFacts { answer: Json::from(true) }), None, None),
                ),
                (
                    "ask: { question: Go?, type: confirm }\n    timeout: 5s".into(),
                    facts(KindFacts::Ask(AskFacts { answer: Json::from(true) }), None, Some(timeout())),
                ),
            ],
            StepKind::Instruct => {
                let checklist = Checklist { ticked: vec!["one".into()], unticked: Vec::new(), complete: true };
                let notes = [("age".to_owned(), Some("old".to_owned()))].into_iter().collect();
                vec![(
                    "instruct: { text: Do it, checklist: [one], notes: { age: How old? } }".into(),
                    facts(KindFacts::Instruct(InstructFacts { notes, checklist: Some(checklist) }), None, None),
                )]
            }
            StepKind::Call => {
                let call = || {
                    KindFacts::Call(Box::new(CallFacts {
                        vars: IndexMap::new(),
                        conclusion: Some(conclusion()),
                        message: Some("x".into()),
                        no_answer: [(
                            "count".to_owned(),
                            NoAnswerVar { step: "scan".into(), error: timeout(), defaulted: true },
                        )]
                        .into_iter()
                        .collect(),
                    }))
                };
                vec![
                    ("call: { runbook: other.yaml }".into(), facts(call(), None, None)),
                    ("call: { runbook: other.yaml }\n    timeout: 5s".into(), facts(call(), None, Some(timeout()))),
                ]
            }
            StepKind::Conclude => {
                vec![("conclude: { status: resolved }".into(), facts(KindFacts::Nothing(NoFacts {}), None, None))]
            }
        }
    }

    fn conclusion() -> ConclusionView {
        ConclusionView {
            status: ConclusionStatus::Resolved,
            severity: None,
            diagnosis: Some("done".into()),
            remediation: None,
            escalation: None,
            followups: Vec::new(),
        }
    }

    /// Every step of [`steps`], loaded, with its facts.
    fn every_step() -> Vec<(runbook_model::Step, StepFacts)> {
        let all: Vec<(String, StepFacts)> = StepKind::ALL.into_iter().flat_map(steps).collect();
        let yaml = all
            .iter()
            .enumerate()
            .fold(String::new(), |yaml, (n, (step, _))| yaml + &format!("  - id: s{n}\n    {step}\n"));
        let yaml = format!("id: facts\ntitle: Facts\nversion: 1\nowners: [me]\nsteps:\n{yaml}");
        let runbook = runbook_model::load(&runbook_model::Source::new("facts.yaml", yaml)).expect("loads");
        runbook.steps.value.into_iter().zip(all.into_iter().map(|(_, facts)| facts)).collect()
    }

    fn keys(json: &Json) -> BTreeSet<String> {
        json.as_object().map(|map| map.keys().cloned().collect()).unwrap_or_default()
    }

    #[test]
    fn the_facts_a_step_holds_are_the_ones_check_knows_of() {
        for (step, facts) in every_step() {
            let known: BTreeSet<String> = known_facts(&step).into_iter().map(str::to_owned).collect();
            assert_eq!(keys(&facts.to_json()), known, "step `{}`", step.id.as_str());
        }
        let error = serde_json::to_value(ProbeError::new(ErrorKind::Io, "x")).unwrap();
        assert_eq!(keys(&error), ERROR_FACTS.iter().map(|&name| name.to_owned()).collect());
        let phases = TimingFacts { dns: Some(1), connect: Some(2), tls: Some(3), first_byte: Some(4) };
        let phases = serde_json::to_value(phases).unwrap();
        assert_eq!(keys(&phases), TIMING_FACTS.iter().map(|&name| name.to_owned()).collect());
        let checklist = serde_json::to_value(Checklist { ticked: vec![], unticked: vec![], complete: true }).unwrap();
        assert_eq!(keys(&checklist), CHECKLIST_FACTS.iter().map(|&name| name.to_owned()).collect());
    }

    #[test]
    fn facts_read_back_are_the_facts_written() {
        for (step, facts) in every_step() {
            let read: StepFacts = serde_json::from_value(facts.to_json()).expect("reads back");
            assert_eq!(read, facts, "step `{}`", step.id.as_str());
        }
        let unobserved = StepFacts {
            kind: KindFacts::Nothing(NoFacts {}),
            outcome: Some(Outcome::Error),
            error: Some(ProbeError::new(ErrorKind::InvalidTarget, "bad url")),
            duration: 1,
        };
        assert_eq!(serde_json::from_value::<StepFacts>(unobserved.to_json()).unwrap(), unobserved);
    }

    /// Every text a step's facts hold is redacted as their type: a
    /// secret equal to each string value of their JSON, and to each key
    /// that is not a field name (a header's, a variable's), is found, and
    /// gone once the facts are redacted. A field a type's `redact` leaves
    /// out fails here.
    #[test]
    fn every_text_of_a_step_s_facts_is_redacted() {
        fn texts(json: &Json, found: &mut Vec<String>) {
            match json {
                Json::String(text) => found.push(text.clone()),
                Json::Array(items) => items.iter().for_each(|item| texts(item, found)),
                Json::Object(map) => {
                    for (key, value) in map {
                        if !key.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_') {
                            found.push(key.clone());
                        }
                        texts(value, found);
                    }
                }
                Json::Null | Json::Bool(_) | Json::Number(_) => {}
            }
        }
        // The names of the engine's values (an outcome, a decision, an
        // error's kind, a conclusion's status) are not texts from outside.
        let names = ["pass", "fail", "run", "timeout", "resolved"];
        for (step, facts) in every_step() {
            let mut found = Vec::new();
            texts(&facts.to_json(), &mut found);
            for text in found.iter().filter(|text| !text.is_empty() && !names.contains(&text.as_str())) {
                let mut redactor = Redactor::new();
                redactor.add("secret", text);
                let redacted = redactor.redacted_json(&facts);
                let id = step.id.as_str();
                assert!(matches!(redacted, Cow::Owned(_)), "step `{id}`: `{text}` not found");
                let left = serde_json::to_string(&*redacted).unwrap();
                assert!(left.contains("[redacted:secret]"), "step `{id}`: {left}");
                assert!(
                    matches!(redactor.redacted_json(&*redacted), Cow::Borrowed(_)),
                    "step `{id}`: `{text}` in {left}"
                );
            }
        }
    }

    #[test]
    fn facts_that_are_not_a_step_s_are_refused() {
        for wrong in [
            serde_json::json!({ "outcome": "pass" }),
            serde_json::json!({ "duration": "soon" }),
            serde_json::json!({ "duration": 1, "outcome": "passed" }),
            serde_json::json!({ "duration": 1, "error": { "kind": "bad", "message": "x" } }),
            serde_json::json!([1, 2]),
            serde_json::json!({ "duration": 1, "exit_code": "zero", "stdout": "", "stderr": "", "timed_out": false }),
            serde_json::json!({ "duration": 1, "stdout": 42, "stderr": "", "timed_out": false, "exit_code": 0 }),
            serde_json::json!({ "duration": 1, "answr": true }),
        ] {
            assert!(serde_json::from_value::<StepFacts>(wrong.clone()).is_err(), "{wrong}");
        }
    }
}
