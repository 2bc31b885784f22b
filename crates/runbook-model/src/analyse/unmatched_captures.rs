//! A capture that may find nothing, read without a fallback where the run
//! has no way back: in a conclusion, a question, a `when` or a `stop_if`,
//! and anywhere in an action (its `confirm`, command or request), which
//! would stop just as the operator is about to remediate.
//! A `regex` that does not match, a JSON path that selects nothing or a
//! missing header leaves the var unset, and the run stops at the worst
//! moment, when it concludes or branches. A whole-output capture
//! (`stdout: true`, `body: true`, `status: true`) is unset only when its
//! probe gave no answer: it counts only where that outcome leads.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};

use crate::analyse::expressions::{is_guarded, names};
use crate::analyse::templates::earlier_whens;
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{
    Capture, CaptureType, Check, Code, Destination, Diagnostic, Flow, Runbook, Span, Spanned, Step, Trigger,
    producible_keys,
};

/// Where a var may be left unset: the step and the capture's source.
struct Unmatched<'a> {
    step: &'a str,
    source: &'static str,
    /// A default of the capture's type, for the help: `0`, `"unknown"`.
    default: &'static str,
    /// Whether a `when` or `stop_if` reads it: then a capture default
    /// would be taken for a reading (RB320), and the help does not offer one.
    decides: bool,
    /// For a whole-output capture, the only places it may be unset: where
    /// its step's outcomes without an answer lead.
    no_answer: Option<Vec<NoAnswer<'a>>>,
}

/// Where the run goes when a step's probe gave no answer (`error`, an
/// action's `skipped`): the steps it may reach before another step
/// captures the var again, and the `when`s it tries on the way out.
pub(super) struct NoAnswer<'a> {
    /// The step's own outcome that leaves the var unset, for the message.
    pub(super) outcome: &'static str,
    /// Whether the step is a `collect`, which cannot route that outcome.
    collect: bool,
    /// The step that gave no answer.
    from: usize,
    /// The var it leaves unset (`""`: only its own facts).
    var: &'a str,
    /// Where the outcome's exits lead.
    starts: Vec<usize>,
    /// The steps reached from `starts`, walked the first time a site
    /// outside `from` asks: a `when` of the step itself needs only
    /// `whens`, and walking the runbook for each step would be quadratic.
    steps: OnceCell<Vec<bool>>,
    whens: Vec<Span>,
    runbook: &'a Runbook,
    flow: &'a Flow,
}

impl NoAnswer<'_> {
    /// Whether the run may reach `site` with the missing answer.
    pub(super) fn covers(&self, site: &TemplateSite<'_>) -> bool {
        self.whens.contains(&site.span)
            || site.step.is_some_and(|step| step != self.from && self.steps().get(step).copied().unwrap_or(false))
    }

    /// The steps the run may reach with the missing answer before a step
    /// captures the var again (never `from` itself).
    fn steps(&self) -> &[bool] {
        self.steps.get_or_init(|| {
            let captures = |step: &Step| single_captures(step).iter().any(|(name, _)| *name == self.var);
            let mut steps = vec![false; self.runbook.steps.len()];
            let mut stack = self.starts.clone();
            while let Some(at) = stack.pop() {
                if steps[at] || at == self.from || captures(&self.runbook.steps[at]) {
                    continue;
                }
                steps[at] = true;
                stack.extend(self.flow.edges[at].iter().filter(|edge| edge.possible).filter_map(destination));
            }
            steps
        })
    }
}

pub(crate) fn check(runbook: &Runbook, flow: &Flow, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    let mut unmatched: BTreeMap<&str, Unmatched<'_>> = BTreeMap::new();
    for step in runbook.steps.iter() {
        for (name, capture) in single_captures(step) {
            if let Some(source) = may_find_nothing(capture) {
                let default = match capture.kind.as_ref().map(|kind| kind.value) {
                    Some(CaptureType::Int | CaptureType::Float) => "0",
                    Some(CaptureType::Bool) => "false",
                    Some(CaptureType::Duration) => "\"0ms\"",
                    Some(CaptureType::String | CaptureType::Json) | None => "\"unknown\"",
                };
                let entry = Unmatched { step: &step.id, source, default, decides: false, no_answer: None };
                unmatched.entry(name).or_insert(entry);
            }
        }
    }
    for (index, step) in runbook.steps.iter().enumerate() {
        for (name, capture) in single_captures(step) {
            let Some(source) = whole_output(capture) else { continue };
            let no_answer = no_answers(runbook, flow, index, name);
            let default = if source == "status" { "0" } else { "\"no answer\"" };
            let entry = Unmatched { step: &step.id, source, default, decides: false, no_answer: Some(no_answer) };
            unmatched.entry(name).or_insert(entry);
        }
    }
    if unmatched.is_empty() {
        return;
    }
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Expression) {
        for name in names(site) {
            let var = name.strip_prefix("vars.").and_then(|var| var.split('.').next());
            if let Some(capture) = var.and_then(|var| unmatched.get_mut(var)) {
                capture.decides = true;
            }
        }
    }
    // Worked out per var on its first unguarded read only: one pass over
    // the flow for each of the file's vars would be quadratic.
    let set_on_entry: RefCell<HashMap<&str, Vec<bool>>> = RefCell::new(HashMap::new());
    let entered_at = |index: usize, var: &str| {
        let Some((var, _)) = unmatched.get_key_value(var) else { return false };
        let mut set_on_entry = set_on_entry.borrow_mut();
        let steps = set_on_entry.entry(var).or_insert_with(|| entered_set(runbook, flow, var));
        steps.get(index).copied().unwrap_or(false)
    };
    for (index, step) in runbook.steps.iter().enumerate() {
        let mut texts: Vec<&Spanned<String>> = Vec::new();
        if let Some(conclusion) = &step.conclude {
            texts.extend([&conclusion.diagnosis, &conclusion.remediation].into_iter().flatten());
            texts.extend(conclusion.escalation.as_ref().and_then(|escalation| escalation.message.as_ref()));
        }
        texts.extend(step.ask.as_ref().map(|ask| &ask.question));
        for text in texts {
            let site = TemplateSite {
                text,
                span: text.span,
                kind: TemplateKind::Template,
                step: Some(index),
                after_probe: false,
                item: None,
            };
            report(&site, &[], false, &unmatched, &|var| entered_at(index, var), out);
        }
    }
    let in_action = |site: &TemplateSite<'_>| {
        site.step.and_then(|index| runbook.steps.get(index)).is_some_and(|step| step.action.is_some())
    };
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Expression || in_action(site)) {
        let earlier = site.step.map(|step| earlier_whens(&runbook.steps[step], site.span)).unwrap_or_default();
        let entered = |var: &str| site.step.is_some_and(|index| entered_at(index, var));
        report(site, &earlier, in_action(site), &unmatched, &entered, out);
    }
}

/// A warning for each var of `unmatched` that `site` (in an action, or
/// not) reads unguarded, where `earlier` are the `when`s tried before it in
/// its chain.
fn report(
    site: &TemplateSite<'_>,
    earlier: &[&str],
    in_action: bool,
    unmatched: &BTreeMap<&str, Unmatched<'_>>,
    entered_set: &dyn Fn(&str) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    let mut read: Vec<String> = names(site).into_iter().collect();
    read.sort();
    for var in read.iter().filter_map(|name| name.strip_prefix("vars.")) {
        let var = var.split('.').next().unwrap_or(var);
        let Some(capture) = unmatched.get(var) else { continue };
        let no_answer = match &capture.no_answer {
            // A `when` the missing answer reaches is RB324's.
            Some(outcomes) => match outcomes.iter().find(|outcome| {
                outcome.covers(site) && !(site.kind == TemplateKind::Expression && outcome.outcome == "error")
            }) {
                Some(outcome) => Some(outcome),
                None => continue,
            },
            None => None,
        };
        if is_guarded(site.text, "vars", var) || earlier.iter().any(|when| routes_unset(when, var)) || entered_set(var)
        {
            continue;
        }
        out.push(match no_answer {
            Some(no_answer) => no_answer_warning(site, var, capture, no_answer, in_action),
            None => warning(site, var, capture, in_action),
        });
    }
}

/// Whether a `when` takes every run where `vars.VAR` is unset: one of the
/// terms it joins with `or` is `vars.VAR is not defined` (or `is
/// undefined`), so that the `when`s after it never see it unset.
fn routes_unset(when: &str, var: &str) -> bool {
    let when = when.split_whitespace().collect::<Vec<_>>().join(" ");
    let tests = [format!("vars.{var} is not defined"), format!("vars.{var} is undefined")];
    when.split(" or ").any(|term| {
        let term = term.trim().trim_start_matches('(').trim_end_matches(')').trim();
        tests.iter().any(|test| term == test)
    })
}

/// Whether a `when` that holds implies `vars.VAR` is set: it reads the var
/// without asking whether it is unset, so with the var unset it would
/// have stopped the run (or, behind `is defined and`, been false).
fn implies_set(when: &str, var: &str) -> bool {
    let when = when.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = format!("vars.{var}");
    let reads = when
        .match_indices(&name)
        .any(|(at, _)| !when[at + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
    reads && !when.contains(&format!("{name} is not defined")) && !when.contains(&format!("{name} is undefined"))
}

/// For each step, whether the run enters it with `vars.VAR` set on every
/// way in: each way in either takes a `when` that implies it is set
/// (`vars.pct > 90`), comes after a chain entry that routed it unset
/// elsewhere (`- when: vars.pct is not defined`), or leaves a step entered
/// with it set that does not capture it again, however many steps lie
/// between the guard and the read (review-12-user6 M2). The first step
/// and a step that captures the var itself never count.
pub(super) fn entered_set(runbook: &Runbook, flow: &Flow, var: &str) -> Vec<bool> {
    let captures = |index: usize| single_captures(&runbook.steps[index]).iter().any(|(name, _)| *name == var);
    let mut entries = vec![0_usize; runbook.steps.len()];
    for edge in flow.possible_edges() {
        if let Destination::Step(to) = edge.to {
            entries[to] += 1;
        }
    }
    // Every step with a way in starts set; a step that is not (or that
    // captures the var, which may then be unset) unsets what it leads to.
    let mut set: Vec<bool> =
        entries.iter().enumerate().map(|(index, count)| *count > 0 && flow.start != Some(index)).collect();
    let mut pending: Vec<usize> = (0..set.len()).filter(|&index| !set[index] || captures(index)).collect();
    while let Some(from) = pending.pop() {
        for edge in flow.edges[from].iter().filter(|edge| edge.possible) {
            let Destination::Step(to) = edge.to else { continue };
            let keeps_set =
                edge.when.as_ref().is_some_and(|when| implies_set(when, var)) || after_unset_route(flow, edge, var);
            if set[to] && !keeps_set {
                set[to] = false;
                pending.push(to);
            }
        }
    }
    for (index, entered) in set.iter_mut().enumerate() {
        *entered &= !captures(index);
    }
    set
}

/// Whether `edge`, an entry of a `when` chain (`probe:next[2]`) or what
/// the chain leaves unmatched (`probe:next>fall-through`), is taken only
/// after an earlier entry routed `vars.VAR` unset elsewhere (`- when:
/// vars.up is not defined`).
fn after_unset_route(flow: &Flow, edge: &crate::Edge, var: &str) -> bool {
    let exits = flow.edges.get(edge.from).map_or(&[][..], Vec::as_slice);
    earlier_entries(exits, edge).any(|other| other.when.as_ref().is_some_and(|when| routes_unset(when, var)))
}

/// The entries of the `when` chain `edge` belongs to (among `exits`, its
/// step's) that the run tries before it: those above an entry, all of
/// them for what the chain leaves unmatched; none for an edge of no chain.
pub(super) fn earlier_entries<'e>(
    exits: &'e [crate::Edge],
    edge: &crate::Edge,
) -> impl Iterator<Item = &'e crate::Edge> {
    let (chain, position) = match edge.id.split_once('>') {
        Some((chain, _)) => (chain.to_owned(), usize::MAX),
        None => match edge.id.rsplit_once('[') {
            Some((chain, index)) => (chain.to_owned(), index.trim_end_matches(']').parse().unwrap_or(0)),
            None => (String::new(), 0),
        },
    };
    exits.iter().filter(move |other| {
        !chain.is_empty()
            && other
                .id
                .strip_prefix(chain.as_str())
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|index| index.parse::<usize>().ok())
                .is_some_and(|index| index < position)
    })
}

fn warning(site: &TemplateSite<'_>, var: &str, capture: &Unmatched<'_>, in_action: bool) -> Diagnostic {
    let source = capture.source;
    let nothing = match source {
        "regex" => "a regex that does not match",
        "json" => "a JSON path that selects nothing",
        "header" => "a header that is missing",
        _ => "a value that does not convert to its `type:`",
    };
    // A branch cannot tell a default from a reading: `"unknown"` counts as
    // true and `0` as healthy (RB320), so a branch routes the unset case,
    // and so does the step before an action, which must not act on a
    // placeholder; a text can show one.
    let help = if in_action {
        format!(
            "route the unset case away from the action: a branch `- when: vars.{var} is not defined` in the step before it, to a step that says the value could not be read"
        )
    } else if site.kind == TemplateKind::Expression {
        format!(
            "route the unset case first: a branch `- when: vars.{var} is not defined` before this one, to a step that says it could not be read (`vars.{var} is defined and …` here would send it wherever the chain goes next)"
        )
    } else if capture.decides {
        format!(
            "write `{{{{ vars.{var} | default(\"unknown\") }}}}` (not a default on the capture: a branch reads \
             `vars.{var}` and would take the default for a reading)"
        )
    } else {
        format!(
            "write `{{{{ vars.{var} | default(\"unknown\") }}}}`, or give the capture a default (`{var}: {{ {source}: …, default: {} }}`)",
            capture.default
        )
    };
    Diagnostic::new(
        Code::CaptureMayNotMatch,
        site.span,
        format!("`vars.{var}` may be unset here: its `{source}` capture in `{}` has no `default`", capture.step),
    )
    .with_label(format!("reads `vars.{var}`; {nothing} leaves it unset and the run stops here"))
    .with_help(help)
}

/// RB312 for a whole-output capture read where its step's outcome without
/// an answer leads (review-10-attack5 M7).
fn no_answer_warning(
    site: &TemplateSite<'_>,
    var: &str,
    capture: &Unmatched<'_>,
    no_answer: &NoAnswer,
    in_action: bool,
) -> Diagnostic {
    let (source, step, outcome) = (capture.source, capture.step, no_answer.outcome);
    let route = if no_answer.collect {
        format!(
            "make `{step}` a `check` and route its `error` to a step that does not read it (a `collect` cannot route)"
        )
    } else {
        format!("route `{outcome}` of `{step}` to a step that does not read it")
    };
    let help = if in_action || site.kind == TemplateKind::Expression {
        format!("{route}; or test it here: `vars.{var} is defined and …`")
    } else {
        format!(
            "write `{{{{ vars.{var} | default({}) }}}}`, give the capture a default (`{var}: {{ {source}: true, default: … }}`), or {route}",
            capture.default
        )
    };
    let (when, why) = if outcome == "error" {
        ("gets no answer", "a command not found, a timeout or a refused connection")
    } else {
        ("is not run", "an action not run (declined, or a `--read-only` run)")
    };
    Diagnostic::new(
        Code::CaptureMayNotMatch,
        site.span,
        format!(
            "`vars.{var}` may be unset here: when `{step}` {when} (`{outcome}`), its `{source}` capture is unset, and that outcome leads here"
        ),
    )
    .with_label(format!("reads `vars.{var}`; {why} leaves it unset and the run stops here"))
    .with_help(help)
}

/// Where the run may go with `var` unset after step `index` gave no
/// answer, one entry per outcome that says so (`error`, an action's
/// `skipped`; a `collect` has no outcome): the exits it takes, and the
/// steps they reach before a step captures `var` again.
pub(super) fn no_answers<'a>(runbook: &'a Runbook, flow: &'a Flow, index: usize, var: &'a str) -> Vec<NoAnswer<'a>> {
    let Some(step) = runbook.steps.get(index) else { return Vec::new() };
    let collect = step.collect.is_some();
    let keys: Vec<String> = if collect {
        vec!["error".to_owned()]
    } else {
        let producible = producible_keys(step).unwrap_or_default();
        producible.into_iter().filter(|key| key == "error" || key == "skipped").collect()
    };
    let exits = flow.edges.get(index).map_or(&[][..], Vec::as_slice);
    let routed = |key: &String| exits.iter().any(|edge| edge.trigger == Trigger::Key(key.clone()));
    let mut found = Vec::new();
    for key in &keys {
        let outcome = if key == "error" { "error" } else { "skipped" };
        let taken: Vec<&crate::Edge> = exits
            .iter()
            .filter(|edge| edge.possible)
            .filter(|edge| match &edge.trigger {
                Trigger::Key(routed_key) => routed_key == key,
                Trigger::Unrouted => collect || !routed(key),
            })
            .filter(|edge| key != "error" || !after_error_route(exits, edge, &step.id))
            .collect();
        let starts = taken.iter().filter_map(|edge| destination(edge)).collect();
        let whens = taken.iter().filter_map(|edge| edge.when.as_ref().map(|when| when.span)).collect();
        found.push(NoAnswer {
            outcome,
            collect,
            from: index,
            var,
            starts,
            steps: OnceCell::new(),
            whens,
            runbook,
            flow,
        });
    }
    found
}

/// Whether `edge`, an entry of a `when` chain or what the chain leaves
/// unmatched, comes after an entry that reads the `outcome` or `error` of
/// step `id` (`- when: steps.ID.outcome == "error"`), which the missing
/// answer takes first.
fn after_error_route(exits: &[crate::Edge], edge: &crate::Edge, id: &str) -> bool {
    earlier_entries(exits, edge).any(|other| other.when.as_ref().is_some_and(|when| reads_outcome(when, id, true)))
}

/// Whether a `when` reads the `outcome` or `error` of step `id` (or, in
/// the step's own chains, `result`'s), which routes its missing answer.
pub(super) fn reads_outcome(when: &str, id: &str, own: bool) -> bool {
    [".outcome", ".error"]
        .iter()
        .any(|fact| when.contains(&format!("steps.{id}{fact}")) || (own && when.contains(&format!("result{fact}"))))
}

const fn destination(edge: &crate::Edge) -> Option<usize> {
    match edge.to {
        Destination::Step(to) => Some(to),
        _ => None,
    }
}

/// The captures of a step that give one value each: its check's, its
/// `probes:` members' and its action's. A `foreach` check keeps a list
/// with an entry per item, never an unset var nor a default.
pub(crate) fn single_captures(step: &Step) -> Vec<(&str, &Capture)> {
    let mut captures: Vec<(&str, &Capture)> = Vec::new();
    if let Some(check) = step.probing() {
        walk(check, &mut captures);
    }
    if let Some(action) = &step.action {
        captures.extend(action.capture.iter().map(|(name, capture)| (name.as_str(), &capture.value)));
    }
    captures
}

fn walk<'a>(check: &'a Check, captures: &mut Vec<(&'a str, &'a Capture)>) {
    if check.foreach.is_some() {
        return;
    }
    captures.extend(check.capture.iter().map(|(name, capture)| (name.as_str(), &capture.value)));
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        walk(member, captures);
    }
}

/// The source of a capture that may find nothing (or a value that does
/// not convert to its `type:`) and has no default.
pub(super) fn may_find_nothing(capture: &Capture) -> Option<&'static str> {
    if capture.default.is_some() {
        return None;
    }
    if capture.regex.is_some() {
        Some("regex")
    } else if capture.json.is_some() {
        Some("json")
    } else if capture.header.is_some() {
        Some("header")
    } else {
        // A whole output that does not convert to its `type:` ("" or "n/a"
        // as `int`) makes the step `error` (`invalid_capture`), which stops
        // a check: unset only where `error` leads, as when there is no answer.
        None
    }
}

/// The source of a capture of the whole output (`stdout`, `stderr`,
/// `body`, `status`) without default, whose value is always set when the
/// probe answered with what its `type:` reads: it is unset only when the
/// step ends in `error`.
pub(super) fn whole_output(capture: &Capture) -> Option<&'static str> {
    if capture.default.is_some() || may_find_nothing(capture).is_some() {
        return None;
    }
    capture
        .sources()
        .first()
        .map(|(source, _)| *source)
        .filter(|source| matches!(*source, "stdout" | "stderr" | "body" | "status"))
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    /// The RB312 warnings of a runbook whose `probe` step captures `role`
    /// and `version` by regex and routes with `whens` (a condition and its
    /// step), the rest to `other`; `primary`'s diagnosis reads both vars.
    /// Each warning as `VAR in when` or `VAR in conclusion`, with its help.
    fn warned(whens: &[(&str, &str)]) -> Vec<(String, String)> {
        let chain: String = whens
            .iter()
            .flat_map(|(when, goto)| [format!("      - when: '{when}'\n"), format!("        goto: {goto}\n")])
            .collect();
        let yaml = format!(
            "id: t\ntitle: T\nsteps:\n  - id: probe\n    collect:\n      cmd: {{ argv: [echo] }}\n      capture:\n        \
             role: {{ regex: 'role:(\\w+)' }}\n        version: {{ regex: 'v:(\\S+)' }}\n    next:\n{chain}      \
             - goto: other\n  - id: primary\n    conclude: {{ status: diagnosed, diagnosis: \"{{{{ vars.role }}}} \
             {{{{ vars.version }}}}\" }}\n  - id: other\n    conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook)
            .into_iter()
            .filter(|d| d.code == Code::CaptureMayNotMatch)
            .map(|d| {
                let var = d.message.split('`').nth(1).unwrap_or_default().to_owned();
                let help = d.help.unwrap_or_default();
                let place = if help.starts_with("write") { "conclusion" } else { "when" };
                (format!("{var} in {place}"), help)
            })
            .collect()
    }

    fn places(warnings: &[(String, String)]) -> Vec<&str> {
        warnings.iter().map(|(place, _)| place.as_str()).collect()
    }

    #[test]
    fn a_guard_joined_with_or_routes_each_of_its_vars() {
        let guarded = warned(&[
            ("vars.version is not defined or vars.role is not defined", "other"),
            ("vars.role != \"master\" and vars.version", "primary"),
        ]);
        assert!(guarded.is_empty(), "{guarded:?}");
        // After the chain routed `version` unset elsewhere, it is set in
        // the entries below (review-10-attack5 M2).
        let half = warned(&[("vars.version is not defined", "other"), ("vars.role != \"master\"", "primary")]);
        assert_eq!(places(&half), ["vars.role in when"]);
    }

    #[test]
    fn a_step_entered_only_through_whens_that_read_the_var_finds_it_set() {
        // Both ways into `primary` read both vars: an unset one would have
        // stopped the run there (each `when` is warned, not the conclusion).
        let both = warned(&[
            ("vars.role == \"master\" and vars.version > \"1\"", "primary"),
            ("vars.role and vars.version", "primary"),
        ]);
        assert!(places(&both).iter().all(|place| place.ends_with("in when")), "{both:?}");
        // A way in that does not read `version` leaves it possibly unset.
        let one = warned(&[("vars.role == \"master\"", "primary")]);
        assert_eq!(places(&one), ["vars.role in when", "vars.version in conclusion"]);
        // A way in through `is not defined` does not imply it is set.
        let negative = warned(&[("vars.role is not defined or vars.version is not defined", "primary")]);
        assert_eq!(places(&negative), ["vars.role in conclusion", "vars.version in conclusion"]);
    }

    /// The RB312 warnings of `yaml`, as the ids of the steps they are in.
    fn warned_steps(yaml: &str) -> Vec<String> {
        let runbook = load(&Source::new("t.yaml", yaml.to_owned())).expect("loads");
        let at = |offset: usize| {
            runbook.steps.iter().rev().find(|step| step.id.span.start <= offset).map(|step| step.id.value.clone())
        };
        analyse(&runbook)
            .into_iter()
            .filter(|d| d.code == Code::CaptureMayNotMatch)
            .filter_map(|d| at(d.span.start))
            .collect()
    }

    #[test]
    fn a_guard_covers_every_step_reached_only_through_its_otherwise() {
        // `mid` stands between the guard and the read (review-12-user6 M2);
        // `loop` comes back to `usage`, which captures the var again.
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: usage\n    collect:\n      cmd: { argv: [echo] }\n      \
                    capture:\n        pct: { regex: '(\\d+)%', type: int }\n    next:\n      - when: vars.pct is not \
                    defined\n        goto: unknown\n      - goto: mid\n  - id: mid\n    instruct: { text: look }\n    \
                    next: more\n  - id: more\n    ask: { question: \"again?\", type: confirm }\n    on: { yes: usage, \
                    no: fine }\n  - id: fine\n    conclude: { status: resolved, diagnosis: \"{{ vars.pct }}% used\" }\n  \
                    - id: unknown\n    conclude: { status: inconclusive, diagnosis: \"could not read it\" }\n";
        assert!(warned_steps(yaml).is_empty(), "{:?}", warned_steps(yaml));
        // A second way into `mid` that skips the guard makes it possibly unset
        // in `fine`, two steps on.
        let bypass = yaml.replace(
            "      - when: vars.pct is not",
            "      - when: steps.usage.duration > \"1s\"\n        goto: mid\n      - when: vars.pct is not",
        );
        assert_eq!(warned_steps(&bypass), ["fine"]);
        // So does a way in from the start.
        let from_start = yaml.replace("steps:\n  - id: usage", "steps:\n  - id: first\n    next: mid\n  - id: usage");
        assert_eq!(warned_steps(&from_start), ["fine"]);
    }

    #[test]
    fn a_var_that_decides_a_branch_is_not_offered_a_capture_default() {
        let one = warned(&[("vars.role == \"master\"", "primary")]);
        assert!(one[1].1.contains("give the capture a default"), "{one:?}");
        let negative = warned(&[("vars.role is not defined or vars.version is not defined", "primary")]);
        assert!(negative.iter().all(|(_, help)| !help.contains("give the capture a default")), "{negative:?}");
        assert!(negative[0].1.contains("would take the default for a reading"), "{negative:?}");
    }
}
