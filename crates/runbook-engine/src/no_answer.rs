//! What a probe that gave no answer (a timeout, a command not found, a
//! refused connection) leaves behind, and the conditions that must not
//! route on it.
//!
//! Its captures are unset (or hold their `default:`), and what it printed
//! before it failed stays in its step's facts for a diagnosis. A `when` or
//! `stop_if` that reads either would take "no answer" for an answer:
//! `vars.errors | default(0) > 10` reads a timed-out grep as "0 errors",
//! `(steps.probe.stdout | int) == 0` reads `wc -l`'s `0` after a missing
//! `pgrep` as "none running". Such a read is found by the names the
//! condition reads, unless the condition also reads that step's `outcome`
//! or `error`, which says the author routes the missing answer.

use std::collections::{BTreeMap, HashSet};

use indexmap::IndexMap;
use runbook_model::ProbeKind;

use crate::probe::ProbeError;
use crate::step_facts::NoAnswerVar;

/// The step whose facts a condition reads as `result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResultOf<'a> {
    /// Its id (`result` is `steps.ID`).
    pub step: &'a str,
    /// The no answer of the attempt `result` holds, when its facts are not
    /// yet the step's (a `stop_if` reads an attempt's).
    pub attempt: Option<NoAnswer>,
    /// Whether the condition is on a route the author gave the step's
    /// ending by name: a probe's `on: { error: … }`, where what it printed
    /// is read on purpose, or a call's `on:` key for the called runbook's
    /// conclusion.
    pub error_routed: bool,
}

/// Why a var or a step's observation holds no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoAnswer {
    /// The step whose probe gave no answer (`steps.ID`).
    pub step: String,
    /// Its error, redacted.
    pub error: ProbeError,
}

/// How a var holds what a probe without an answer left.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Held {
    /// The probe left it unset.
    Unset,
    /// It holds its capture's `default:`.
    Defaulted,
    /// A later probe captured it from such a value (attack7 H20): how, as
    /// the message says it (`was captured by step `grep` from `vars.n`,
    /// which is unset because step`).
    Carried(String),
}

impl Held {
    /// How the message says it, up to the step that gave no answer.
    fn said(&self) -> String {
        match self {
            Self::Unset => "is unset because step".to_owned(),
            Self::Defaulted => "holds its capture's `default:` because step".to_owned(),
            Self::Carried(how) => how.clone(),
        }
    }
}

/// A value read from what a probe without an answer left, made into
/// another (a capture of a command that read it, a called runbook's input
/// given from it): why, and how the message says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Carried {
    /// The probe without an answer it comes from.
    pub why: NoAnswer,
    /// What was read, and how that holds no answer (``vars.n`, which is
    /// unset because step`).
    pub read: String,
}

/// The vars and steps a probe without an answer left, as the run's facts
/// keep them.
#[derive(Debug, Default)]
pub(crate) struct NoAnswers {
    /// Vars left unset by a probe without an answer, holding their
    /// capture's `default:` for it, or captured from such a value.
    vars: BTreeMap<String, (NoAnswer, Held)>,
    /// The inputs a calling runbook gave from such a value, with how.
    inputs: BTreeMap<String, (NoAnswer, String)>,
    /// Steps whose probe gave no answer, by id.
    steps: BTreeMap<String, NoAnswer>,
    /// `call` steps whose called runbook handed back vars left by a probe
    /// without an answer, by id.
    calls: BTreeMap<String, CalledNoAnswers>,
}

/// What a called runbook's probes without an answer left in the vars it
/// handed back (`steps.CALL.vars`).
#[derive(Debug)]
struct CalledNoAnswers {
    /// The vars, as `steps.CALL.no_answer` shows them, each with its
    /// step's name as seen from the caller (`CALL/STEP`).
    vars: BTreeMap<String, (NoAnswer, Held)>,
    /// The called runbook's conclusion status, when it concluded.
    concluded: Option<String>,
}

/// A read of what holds no answer: why, how the message says so, and
/// which step's facts route it (`outcome`/`error` of a probe's step,
/// `conclusion`/`message`/`no_answer` of a call).
struct Mark<'s> {
    why: &'s NoAnswer,
    what: String,
    /// `None` for a called runbook's input: only its caller routes it.
    routed_by: Option<&'s str>,
    call: Option<&'s CalledNoAnswers>,
}

/// The step facts that are not an observation: a condition may read them
/// of a step without an answer (`outcome`, `error` route it).
fn is_observation(field: &str) -> bool {
    ProbeKind::ALL.iter().any(|kind| kind.facts().iter().any(|fact| fact.name == field))
}

impl NoAnswers {
    /// Whether nothing is kept: the common case, which costs nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.steps.is_empty() && self.calls.is_empty() && self.inputs.is_empty()
    }

    /// The vars that hold no answer, as a called runbook hands them back
    /// (one captured from such a value as one holding a default: it is set).
    pub(crate) fn vars(&self) -> IndexMap<String, NoAnswerVar> {
        self.vars
            .iter()
            .map(|(name, (why, held))| {
                let defaulted = *held != Held::Unset;
                let var = NoAnswerVar { step: why.step.clone(), error: why.error.clone(), defaulted };
                (name.clone(), var)
            })
            .collect()
    }

    /// Notes that `call` step `id` handed back `vars` left by a probe
    /// without an answer in the called runbook, which concluded with
    /// status `concluded` (none when it did not conclude).
    pub(crate) fn note_call(&mut self, id: &str, vars: &IndexMap<String, NoAnswerVar>, concluded: Option<&str>) {
        if vars.is_empty() {
            return;
        }
        let vars = vars
            .iter()
            .map(|(name, var)| {
                let why = NoAnswer { step: format!("{id}/{}", var.step), error: var.error.clone() };
                (name.clone(), (why, if var.defaulted { Held::Defaulted } else { Held::Unset }))
            })
            .collect();
        self.calls.insert(id.to_owned(), CalledNoAnswers { vars, concluded: concluded.map(str::to_owned) });
    }

    /// Notes that `vars.NAME` holds no answer; `defaulted` when it holds its
    /// capture's `default:`.
    pub(crate) fn note_var(&mut self, name: &str, why: NoAnswer, defaulted: bool) {
        self.vars.insert(name.to_owned(), (why, if defaulted { Held::Defaulted } else { Held::Unset }));
    }

    /// Notes that `vars.NAME` was captured by step `by`, whose probe read
    /// `carried`: it holds no answer either.
    pub(crate) fn note_carried_var(&mut self, name: &str, by: &str, carried: &Carried) {
        let how = format!("was captured by step `{by}` from {}", carried.read);
        self.vars.insert(name.to_owned(), (carried.why.clone(), Held::Carried(how)));
    }

    /// Notes that `inputs.NAME`, given by the calling runbook's step
    /// `by`, was made from `carried`.
    pub(crate) fn note_input(&mut self, name: &str, by: &str, carried: &Carried) {
        let how = format!("was given by the calling runbook's step `{by}` from {}", carried.read);
        self.inputs.insert(name.to_owned(), (carried.why.clone(), how));
    }

    /// What of the dotted `names` (a probe's or a call's templates) holds
    /// no answer and is not routed, to be carried into what is made of it.
    pub(crate) fn carried(&self, names: &HashSet<String>) -> Option<Carried> {
        let (written, mark) = self.unrouted(names, None)?;
        Some(Carried { why: mark.why.clone(), read: format!("`{written}`, which {}", mark.what) })
    }

    /// Notes that `steps.ID` observed no answer.
    pub(crate) fn note_step(&mut self, id: &str, why: NoAnswer) {
        self.steps.insert(id.to_owned(), why);
    }

    /// `vars.NAME` was set or unset again.
    pub(crate) fn forget_var(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// `steps.ID` ran again.
    pub(crate) fn forget_step(&mut self, id: &str) {
        self.steps.remove(id);
        self.calls.remove(id);
    }

    /// What a condition reads, of the dotted `names` it reads, that holds
    /// no answer, as a message naming the read, the step and its error and
    /// saying how to route it; `None` when it reads none, or also reads
    /// that step's `outcome` or `error`, or is on the step's `error` route.
    pub(crate) fn read_by(
        &self,
        field: &str,
        names: &HashSet<String>,
        result: Option<&ResultOf<'_>>,
    ) -> Option<String> {
        self.find(field, names, result, Reader::Condition)
    }

    /// What an action's template (its command, URL, body, …) reads of the
    /// dotted `names` that holds no answer, as a message naming it.
    pub(crate) fn acted_on(&self, field: &str, names: &HashSet<String>) -> Option<String> {
        self.find(field, names, None, Reader::Action)
    }

    fn find(
        &self,
        field: &str,
        names: &HashSet<String>,
        result: Option<&ResultOf<'_>>,
        reader: Reader,
    ) -> Option<String> {
        let (written, mark) = self.unrouted(names, result)?;
        Some(message(field, &written, &mark, reader))
    }

    /// The first of `names` (as written) that holds no answer, unless the
    /// same read routes it.
    fn unrouted<'s>(&'s self, names: &HashSet<String>, result: Option<&'s ResultOf<'_>>) -> Option<(String, Mark<'s>)> {
        let attempt = result.and_then(|result| result.attempt.as_ref());
        if self.is_empty() && attempt.is_none() {
            return None;
        }
        let result_of = result.map(|result| result.step);
        let as_steps = |name: &str| match (name.split_once('.'), result_of) {
            (Some(("result", rest)), Some(id)) => format!("steps.{id}.{rest}"),
            (None, Some(id)) if name == "result" => format!("steps.{id}"),
            _ => name.to_owned(),
        };
        let mut names: Vec<(String, &str)> = names.iter().map(|name| (as_steps(name), name.as_str())).collect();
        names.sort();
        let routes = |mark: &Mark<'_>| {
            let Some(routed_by) = mark.routed_by else { return false };
            let fields: &[&str] =
                if mark.call.is_some() { &["conclusion", "message", "no_answer"] } else { &["outcome", "error"] };
            result.is_some_and(|result| result.error_routed && result.step == routed_by)
                || names.iter().any(|(name, _)| {
                    name.strip_prefix("steps.")
                        .and_then(|rest| rest.strip_prefix(routed_by))
                        .and_then(|rest| rest.strip_prefix('.'))
                        .is_some_and(|rest| fields.contains(&rest.split('.').next().unwrap_or(rest)))
                })
        };
        let step = |id: &str| match (result_of, attempt) {
            (Some(of), Some(attempt)) if of == id => Some(attempt),
            _ => self.steps.get(id),
        };
        names.iter().find_map(|(name, written)| {
            let mark = self.read(name, step)?;
            (!routes(&mark)).then(|| ((*written).to_owned(), mark))
        })
    }

    /// What `name` (`vars.X`, `steps.ID.FIELD…`, `steps.CALL.vars.X`)
    /// holds of no answer, and how to say so; `step` finds a step's no
    /// answer by its id.
    fn read<'s>(&'s self, name: &str, step: impl FnOnce(&str) -> Option<&'s NoAnswer>) -> Option<Mark<'s>> {
        let held = |(why, held): &'s (NoAnswer, Held)| (why, held.said());
        let mut parts = name.split('.');
        match (parts.next()?, parts.next()?, parts.next()) {
            ("vars", var, _) => {
                let (why, what) = held(self.vars.get(var)?);
                Some(Mark { why, what, routed_by: Some(&why.step), call: None })
            }
            ("inputs", input, _) => {
                let (why, how) = self.inputs.get(input)?;
                Some(Mark { why, what: how.clone(), routed_by: None, call: None })
            }
            ("steps", id, Some("vars")) if self.calls.contains_key(id) => {
                let (routed_by, call) = self.calls.get_key_value(id)?;
                // `steps.CALL.vars` as a whole reads each of them.
                let (why, what) = match parts.next() {
                    Some(var) => held(call.vars.get(var)?),
                    None => held(call.vars.values().next()?),
                };
                Some(Mark { why, what, routed_by: Some(routed_by), call: Some(call) })
            }
            ("steps", id, field) if field.is_none_or(is_observation) => {
                let why = step(id)?;
                let what = "is what was left when step".to_owned();
                Some(Mark { why, what, routed_by: Some(&why.step), call: None })
            }
            _ => None,
        }
    }
}

/// What reads what a probe without an answer left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A `when` or `stop_if`.
    Condition,
    /// An action's command or request.
    Action,
}

/// The stop's message: what was read, whose probe gave no answer, why, and
/// how to route it.
fn message(field: &str, written: &str, mark: &Mark<'_>, reader: Reader) -> String {
    let Mark { why: NoAnswer { step, error }, what, routed_by, call } = mark;
    let routed_by = (*routed_by).unwrap_or_default();
    let route = match call {
        None if mark.routed_by.is_none() => format!(
            "route the step's error in the calling runbook, before the call: `on: {{ error: … }}` on step `{step}` \
             or an earlier `- when: steps.{step}.outcome == \"error\"`"
        ),
        None => format!(
            "route the step's error first, with `on: {{ error: … }}` or an earlier `- when: \
             steps.{step}.outcome == \"error\"`"
        ),
        Some(CalledNoAnswers { concluded: Some(status), .. }) => format!(
            "route the called runbook's ending first, with `on:` keys for its conclusion statuses or an earlier \
             `- when: steps.{routed_by}.conclusion.status == \"{status}\"` (it concluded `{status}`)"
        ),
        Some(CalledNoAnswers { concluded: None, .. }) => format!(
            "route the call's `error` first, with `on: {{ error: … }}` or an earlier `- when: \
             steps.{routed_by}.conclusion is none`"
        ),
    };
    let rule = match reader {
        Reader::Condition => {
            "a condition does not route on a missing answer as if it were one (a `default` or `is defined` would read \
             it as \"nothing found\")"
        }
        Reader::Action => {
            "an action does not run on a missing answer as if it were one (a `default` stands in for a value nobody \
             read)"
        }
    };
    format!(
        "`{field}` reads `{written}`, which {what} `{step}` gave no answer ({kind}: {message}): {rule}; {route}",
        kind = error.kind.name(),
        message = error.message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ErrorKind;

    fn names(names: &[&str]) -> HashSet<String> {
        names.iter().map(|&name| name.to_owned()).collect()
    }

    fn of(step: &str) -> ResultOf<'_> {
        ResultOf { step, attempt: None, error_routed: false }
    }

    fn timed_out(step: &str) -> NoAnswer {
        NoAnswer { step: step.to_owned(), error: ProbeError::new(ErrorKind::Timeout, "`sh` did not finish within 1s") }
    }

    #[test]
    fn a_condition_reading_what_no_answer_left_is_named_with_the_step_and_its_error() {
        let mut kept = NoAnswers::default();
        kept.note_var("errors", timed_out("errs"), false);
        kept.note_var("count", timed_out("errs"), true);
        kept.note_step("probe", timed_out("probe"));
        let read = kept.read_by("when", &names(&["vars.errors"]), None).unwrap();
        assert!(
            read.contains("`when` reads `vars.errors`, which is unset because step `errs` gave no answer"),
            "{read}"
        );
        assert!(read.contains("(timeout: `sh` did not finish within 1s)"), "{read}");
        assert!(read.contains("steps.errs.outcome == \"error\""), "{read}");
        let read = kept.read_by("when", &names(&["vars.count"]), None).unwrap();
        assert!(read.contains("holds its capture's `default:` because step `errs`"), "{read}");
        for observation in ["steps.probe.stdout", "steps.probe.json.items", "steps.probe.exit_code", "steps.probe"] {
            let read = kept.read_by("when", &names(&[observation]), None).unwrap();
            assert!(
                read.contains(&format!("reads `{observation}`, which is what was left when step `probe`")),
                "{read}"
            );
        }
        let read = kept.read_by("when", &names(&["result.stdout"]), Some(&of("probe"))).unwrap();
        assert!(read.contains("reads `result.stdout`"), "{read}");
    }

    #[test]
    fn a_condition_that_routes_the_error_or_reads_other_facts_is_left_alone() {
        let mut kept = NoAnswers::default();
        kept.note_var("errors", timed_out("errs"), false);
        kept.note_step("probe", timed_out("probe"));
        for read in [
            &["steps.probe.outcome"][..],
            &["steps.probe.error.kind"],
            &["steps.probe.duration", "steps.probe.probe_duration"],
            &["vars.other", "steps.other.stdout"],
            &["steps.errs.outcome", "vars.errors"],
            &["steps.errs.error", "vars.errors"],
            &["result.outcome", "result.stdout"],
            &["steps.probe.items", "steps.probe.failed"],
        ] {
            assert_eq!(kept.read_by("when", &names(read), Some(&of("probe"))), None, "{read:?}");
        }
        assert!(kept.read_by("when", &names(&["result.stdout"]), Some(&of("other"))).is_none());
        let on_error = ResultOf { error_routed: true, ..of("probe") };
        assert!(kept.read_by("when", &names(&["result.stderr"]), Some(&on_error)).is_none());
        let attempt = ResultOf { attempt: Some(timed_out("other")), ..of("other") };
        let read = kept.read_by("retry.stop_if", &names(&["result.json"]), Some(&attempt));
        assert!(read.unwrap().contains("`retry.stop_if` reads `result.json`"));
        kept.forget_var("errors");
        kept.forget_step("probe");
        assert!(kept.is_empty());
    }

    /// attack7 H20: what is made of a value without an answer (a capture
    /// of a command that read it, a called runbook's input) holds none.
    #[test]
    fn a_mark_is_carried_into_what_is_made_of_it() {
        let mut kept = NoAnswers::default();
        kept.note_var("errors", timed_out("errs"), true);
        assert_eq!(kept.carried(&names(&["vars.other"])), None);
        assert_eq!(kept.carried(&names(&["vars.errors", "steps.errs.outcome"])), None, "routed where it was read");
        let carried = kept.carried(&names(&["vars.errors"])).unwrap();
        assert_eq!(carried.why, timed_out("errs"));
        kept.note_carried_var("total", "recount", &carried);
        let read = kept.read_by("when", &names(&["vars.total"]), None).unwrap();
        assert!(
            read.contains(
                "`when` reads `vars.total`, which was captured by step `recount` from `vars.errors`, which holds its \
                 capture's `default:` because step `errs` gave no answer (timeout: "
            ),
            "{read}"
        );
        assert!(read.contains("steps.errs.outcome == \"error\""), "the first step's error routes it: {read}");
        assert_eq!(kept.read_by("when", &names(&["vars.total", "steps.errs.error"]), None), None);
        assert!(kept.vars()["total"].defaulted, "handed back as set");
        let mut callee = NoAnswers::default();
        callee.note_input("errors", "judge", &carried);
        let read = callee.read_by("when", &names(&["inputs.errors"]), None).unwrap();
        assert!(read.contains("which was given by the calling runbook's step `judge` from `vars.errors`"), "{read}");
        assert!(read.contains("route the step's error in the calling runbook, before the call"), "{read}");
        assert!(callee.read_by("when", &names(&["inputs.errors", "steps.errs.outcome"]), None).is_some());
        assert!(callee.acted_on("cmd.sh", &names(&["inputs.errors"])).is_some());
    }

    #[test]
    fn a_called_runbook_s_var_without_an_answer_is_marked_in_the_caller_until_its_ending_is_read() {
        let mut callee = NoAnswers::default();
        callee.note_var("n", timed_out("scan"), false);
        let mut kept = NoAnswers::default();
        kept.note_call("e", &callee.vars(), Some("inconclusive"));
        for read in [&["steps.e.vars.n"][..], &["steps.e.vars"], &["result.vars.n"]] {
            let read = kept.read_by("when", &names(read), Some(&of("e"))).unwrap();
            assert!(read.contains("which is unset because step `e/scan` gave no answer (timeout: "), "{read}");
            assert!(read.contains("steps.e.conclusion.status == \"inconclusive\"` (it concluded"), "{read}");
        }
        for read in [
            &["steps.e.conclusion.status", "steps.e.vars.n"][..],
            &["steps.e.no_answer", "steps.e.vars.n"],
            &["steps.e.vars.other"],
            &["vars.n", "steps.e.stdout"],
        ] {
            assert_eq!(kept.read_by("when", &names(read), None), None, "{read:?}");
        }
        let on_a_status = ResultOf { error_routed: true, ..of("e") };
        assert!(kept.read_by("when", &names(&["result.vars.n"]), Some(&on_a_status)).is_none());
        kept.forget_step("e");
        assert!(kept.is_empty());
    }
}
