//! A step's facts repeat what its probes observed: `steps.ID.stdout` is the
//! text of the probe's `stdout`, and a `foreach` item's `status`, `headers`
//! and `body` are its response's, all in the `probe` events just before.
//! In the journal, what the facts hold of a probe's observation (its
//! [`ObservedFacts`], found by type: a single probe's, an action's, each
//! item's or named probe's) is left out where it is exactly what that
//! probe's event makes, and made again from it on reading: a command
//! printing 1 MiB takes 1 MiB of journal, and each response of a `foreach`
//! is written once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::event::Part;
use crate::probe::ObservedFacts;
use crate::step_facts::{ItemFacts, Items, ManyFacts, OneProbe, ProbedFacts, ProbedMut, ProbedRef, StepFacts};

/// The last attempt's probes of each step not finished yet.
#[derive(Default)]
pub(super) struct Probes(HashMap<String, (u32, Vec<Arc<Part>>)>);

impl Probes {
    /// Notes a `step_started` event: the probes of an earlier start that
    /// did not finish (a run killed there, then resumed) are not this
    /// one's.
    pub(super) fn start(&mut self, step: &str) {
        self.0.remove(step);
    }

    /// Notes a `probe` event.
    pub(super) fn add(&mut self, step: &str, attempt: u32, part: &Arc<Part>) {
        let (last, parts) = self.0.entry(step.to_owned()).or_default();
        if *last != attempt {
            *last = attempt;
            parts.clear();
        }
        parts.push(Arc::clone(part));
    }

    /// The attempt of the probe lines of `step` since it started, if any.
    pub(super) fn attempt(&self, step: &str) -> Option<u32> {
        self.0.get(step).map(|(attempt, _)| *attempt)
    }

    /// The probes of the step that finished.
    pub(super) fn finish(&mut self, step: &str) -> Vec<Arc<Part>> {
        self.0.remove(step).map(|(_, parts)| parts).unwrap_or_default()
    }
}

/// A step's facts as the journal writes them: what they hold of each of
/// `parts`' observations left out where [`restore`] makes it again the same.
/// `unredacted` says that nothing was redacted from the facts (see
/// [`crate::event::Event::StepFinished`]): they were made from the very
/// observations the parts show, so they are not compared.
pub(super) fn written<'f>(facts: &'f StepFacts, parts: &[Arc<Part>], unredacted: bool) -> Cow<'f, StepFacts> {
    let left_out = |observed: &ObservedFacts, part: &Part| {
        let Some(observation) = &part.observation else { return false };
        debug_assert!(!unredacted || observation.step_facts() == *observed, "unredacted facts are the probe's");
        observation.reads_back_exactly() && (unredacted || observation.step_facts() == *observed)
    };
    let probed = match facts.kind.probed_ref() {
        Some(ProbedRef::One(one)) => match (&one.observed, single(parts)) {
            (Some(observed), Some(part)) if left_out(observed, part) => {
                ProbedFacts::One(Box::new(OneProbe { observed: None, probe_duration: one.probe_duration }))
            }
            _ => return Cow::Borrowed(facts),
        },
        Some(ProbedRef::Many(ManyFacts { items, failed })) => {
            let item = |item: &ItemFacts, part: Option<&Arc<Part>>| ItemFacts {
                observed: match (&item.observed, part) {
                    (Some(observed), Some(part)) if left_out(observed, part) => None,
                    (observed, _) => observed.clone(),
                },
                duration: item.duration,
                error: item.error.clone(),
                outcome: item.outcome,
                item: item.item.clone(),
                name: item.name.clone(),
            };
            let items = match items {
                Items::List(items) => {
                    Items::List(items.iter().enumerate().map(|(at, it)| item(it, parts.get(at))).collect())
                }
                Items::Named(items) => Items::Named(
                    items.iter().enumerate().map(|(at, (name, it))| (name.clone(), item(it, parts.get(at)))).collect(),
                ),
            };
            ProbedFacts::Many(ManyFacts { items, failed: failed.clone() })
        }
        None => return Cow::Borrowed(facts),
    };
    match facts.kind.copy_with(probed) {
        Some(kind) => {
            Cow::Owned(StepFacts { kind, outcome: facts.outcome, error: facts.error.clone(), duration: facts.duration })
        }
        None => Cow::Borrowed(facts),
    }
}

/// Puts back what [`written`] left out, from the probes journaled before
/// the facts; says what cannot be put back (a `probe` line missing).
pub(super) fn restore(facts: &mut StepFacts, parts: &[Arc<Part>]) -> Result<(), String> {
    let missing = |what: &str| format!("leave out what {what} observed, and no `probe` line before them shows it");
    match facts.kind.probed_mut() {
        Some(ProbedMut::One(one)) if one.observed.is_none() => {
            if parts.len() > 1 {
                return Err(format!(
                    "leave out what its probe observed, and {} `probe` lines of its last attempt show it where its \
                     one probe makes one",
                    parts.len()
                ));
            }
            one.observed = Some(single(parts).and_then(observed).ok_or_else(|| missing("its probe"))?);
        }
        Some(ProbedMut::Many(ManyFacts { items, .. })) => {
            let items: Vec<&mut ItemFacts> = match items {
                Items::List(items) => items.iter_mut().collect(),
                Items::Named(items) => items.values_mut().collect(),
            };
            for (at, item) in items.into_iter().enumerate() {
                // An item that observed something has its probe's time.
                if item.observed.is_none() && item.duration.is_some() {
                    let part = parts.get(at).filter(|part| part.item == item.item && part.name == item.name);
                    let which =
                        item.name.as_ref().map_or_else(|| format!("item {}", at + 1), |name| format!("probe `{name}`"));
                    item.observed = Some(part.and_then(|part| observed(part)).ok_or_else(|| missing(&which))?);
                }
            }
        }
        Some(ProbedMut::One(_)) | None => {}
    }
    Ok(())
}

/// What a probe's event makes of its observation, if it has one.
fn observed(part: &Part) -> Option<ObservedFacts> {
    part.observation.as_ref().map(crate::probe::Observation::step_facts)
}

/// The probe whose observation the step's own facts are: a step's single
/// probe (not an item, not a named probe).
fn single(parts: &[Arc<Part>]) -> Option<&Part> {
    match parts {
        [part] if part.name.is_none() && part.item.is_none() => Some(part),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use runbook_model::Outcome;
    use serde_json::{Value, json};

    use super::*;
    use crate::event::ActionDecision;
    use crate::probe::{Captured, Observation, fixtures};
    use crate::step_facts::{ActionFacts, KindFacts};

    fn part(observation: Observation, name: Option<&str>, item: Option<Value>) -> Arc<Part> {
        Arc::new(Part {
            name: name.map(str::to_owned),
            item,
            probe: runbook_model::ProbeKind::Cmd,
            target: "x".into(),
            observation: Some(observation),
            expectations: Vec::new(),
            outcome: Outcome::Pass,
            error: None,
            assumed: false,
            not_sent: None,
        })
    }

    fn output(stdout: &[u8], limit: usize) -> Observation {
        let Observation::Cmd(mut cmd) = fixtures::cmd("") else { unreachable!() };
        cmd.stdout = Captured::new();
        cmd.stdout.push(stdout, limit);
        Observation::Cmd(cmd)
    }

    fn step(kind: KindFacts) -> StepFacts {
        StepFacts { kind, outcome: Some(Outcome::Pass), error: None, duration: 7 }
    }

    fn one(part: &Part) -> StepFacts {
        let observed = part.observation.as_ref().map(Observation::step_facts);
        step(KindFacts::Probed(ProbedFacts::One(Box::new(OneProbe { observed, probe_duration: 5 }))))
    }

    fn items(parts: &[Arc<Part>], named: bool) -> StepFacts {
        let item = |part: &Arc<Part>| ItemFacts {
            observed: observed(part),
            duration: Some(5),
            error: None,
            outcome: Outcome::Pass,
            item: part.item.clone(),
            name: part.name.clone(),
        };
        let items = if named {
            Items::Named(parts.iter().map(|part| (part.name.clone().unwrap_or_default(), item(part))).collect())
        } else {
            Items::List(parts.iter().map(item).collect())
        };
        step(KindFacts::Probed(ProbedFacts::Many(ManyFacts { items, failed: Vec::new() })))
    }

    /// Written, then read back as the journal reads a line (the probes
    /// too) and restored: the facts are what they were.
    fn round_trip(facts: &StepFacts, parts: &[Arc<Part>], unredacted: bool) -> (String, StepFacts) {
        let text = serde_json::to_string(&written(facts, parts, unredacted)).unwrap();
        let mut read: StepFacts = serde_json::from_str(&text).unwrap();
        let parts: Vec<Arc<Part>> = parts
            .iter()
            .map(|p| Arc::new(serde_json::from_str(&serde_json::to_string(&**p).unwrap()).unwrap()))
            .collect();
        restore(&mut read, &parts).unwrap();
        (text, read)
    }

    #[test]
    fn what_a_probe_observed_is_written_once_and_read_back_whole() {
        let long = "x".repeat(5000);
        let single = [part(output(long.as_bytes(), 1 << 20), None, None)];
        let facts = one(&single[0]);
        let (text, read) = round_trip(&facts, &single, true);
        assert!(text.len() < 100 && !text.contains("stdout"), "{text}");
        assert_eq!(read, facts);
        // An action's probe, its decision kept.
        let KindFacts::Probed(ProbedFacts::One(probe)) = facts.kind else { unreachable!() };
        let action =
            step(KindFacts::Action(ActionFacts { decision: ActionDecision::Run, assumed: true, probe: Some(probe) }));
        let (text, read) = round_trip(&action, &single, true);
        assert!(text.contains(r#""decision":"run","assumed":true"#) && !text.contains("stdout"), "{text}");
        assert_eq!(read, action);

        // A foreach, and named probes: each item against its own probe.
        let list = [
            part(fixtures::http(200, r#"{"status":"ok"}"#, std::time::Duration::ZERO), None, Some(json!(1))),
            part(output(b"short", 1 << 20), None, Some(json!(2))),
        ];
        let named =
            [part(output(b"a", 1 << 20), Some("a"), None), part(output(long.as_bytes(), 1 << 20), Some("b"), None)];
        for (parts, named) in [(&list, false), (&named, true)] {
            let facts = items(parts, named);
            let (text, read) = round_trip(&facts, parts, true);
            assert!(!text.contains("stdout") && !text.contains("headers"), "{text}");
            assert_eq!(read, facts);
        }
    }

    /// Facts from which a secret was redacted are compared with what the
    /// probe shows: an item that differs is written whole, one that does
    /// not is still left out.
    #[test]
    fn redacted_facts_are_written_whole_where_they_differ_from_the_probe() {
        let parts = [
            part(output(b"same", 1 << 20), None, Some(json!(1))),
            part(output(b"mine", 1 << 20), None, Some(json!(2))),
        ];
        let mut facts = items(&parts, false);
        let KindFacts::Probed(ProbedFacts::Many(ManyFacts { items: Items::List(list), .. })) = &mut facts.kind else {
            unreachable!()
        };
        let Some(ObservedFacts::Cmd(cmd)) = &mut list[1].observed else { unreachable!() };
        cmd.stdout = "[redacted:token]".into();
        let (text, read) = round_trip(&facts, &parts, false);
        assert_eq!(text.matches(r#""stdout":"#).count(), 1, "{text}");
        assert!(text.contains("[redacted:token]") && !text.contains("mine"), "{text}");
        assert_eq!(read, facts);
    }

    /// Output made to look like the "bytes dropped" marker would be split
    /// there on reading: what it observed is written again rather than
    /// made from the probe.
    #[test]
    fn output_holding_the_dropped_marker_is_written_again() {
        let mut stream = "x".repeat(600).into_bytes();
        stream.extend_from_slice("\n[… 2630 bytes dropped …]\n".as_bytes());
        stream.extend(std::iter::repeat_n(b'z', 4000));
        let single = [part(output(&stream, 2000), None, None)];
        let Some(Observation::Cmd(cmd)) = &single[0].observation else { unreachable!() };
        assert_eq!(cmd.stdout.dropped_bytes, 2630);
        let facts = one(&single[0]);
        let (text, read) = round_trip(&facts, &single, true);
        assert!(text.contains("stdout"), "{text}");
        assert_eq!(read, facts);
    }

    /// Facts that leave out what a probe observed, read without that
    /// probe (its line lost or edited away), are refused.
    #[test]
    fn facts_whose_probe_is_missing_are_refused() {
        let single = [part(output(b"hello", 1 << 20), None, None)];
        let text = serde_json::to_string(&written(&one(&single[0]), &single, true)).unwrap();
        let mut read: StepFacts = serde_json::from_str(&text).unwrap();
        assert!(restore(&mut read, &[]).unwrap_err().contains("its probe"));
        let list =
            [part(output(b"a", 1 << 20), None, Some(json!(1))), part(output(b"b", 1 << 20), None, Some(json!(2)))];
        let text = serde_json::to_string(&written(&items(&list, false), &list, true)).unwrap();
        let mut read: StepFacts = serde_json::from_str(&text).unwrap();
        assert!(restore(&mut read, &list[..1]).unwrap_err().contains("item 2"));
        let mut read: StepFacts = serde_json::from_str(&text).unwrap();
        let swapped = [Arc::clone(&list[1]), Arc::clone(&list[0])];
        assert!(restore(&mut read, &swapped).unwrap_err().contains("item 1"), "items are matched to their own probes");
    }
}
