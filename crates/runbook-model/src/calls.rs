//! `call` targets followed at `check` time: the called file exists and
//! checks clean, the inputs given exist and the required ones are given,
//! `steps.ID.vars.NAME` names a var the callee can set, and no chain of
//! calls comes back to a runbook already running.
//!
//! It reads other files, so it sits beside the loader, not among the
//! single-file rules of `analyse` (as does `ca_files`, run with it).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::analyse::{
    Callee, KnownTypes, call_chain_without_conclusion, captured_names, check_callee_vars, counted_callee_texts,
    template_input_mismatch, template_names, template_sites, unrouted_keys, unset_at_end, unset_callee_reads,
};
use crate::called_plan::{CalledFiles, sha256_hex};
use crate::{
    Call, Checked, Code, Diagnostic, Input, InputType, Level, Runbook, Source, Span, Spanned, check_bytes, did_you_mean,
};

/// Deepest chain of calls followed, as the engine allows at run time.
const MAX_CALL_DEPTH: usize = 16;
/// Errors of a called runbook quoted in the caller's diagnostic.
const QUOTED_ERRORS: usize = 3;
/// How a cycle's message starts; the chain follows.
const CYCLE: &str = "calls go round in a cycle: ";

/// Reads, loads and analyses a runbook file, then follows its `call`
/// targets: what `runbook check` reports for a file.
pub fn check_file(path: &Path) -> std::io::Result<Checked> {
    Ok(check_file_bytes(path, &std::fs::read(path)?))
}

/// The same for the bytes of `path`, already read (the `check` cache
/// hashes the very bytes it checks).
pub fn check_file_bytes(path: &Path, bytes: &[u8]) -> Checked {
    check_file_reading(path, bytes).0
}

/// The same, with every called file as it was read and checked, for
/// [`crate::Plan::load`] to plan them from.
pub(crate) fn check_file_reading(path: &Path, bytes: &[u8]) -> (Checked, CalledFiles) {
    let mut checked = check_bytes(&path.display().to_string(), bytes);
    let Some(runbook) = &checked.runbook else { return (checked, CalledFiles::default()) };
    let mut follower = Follower {
        stack: vec![canonical(path)],
        shown: vec![path.display().to_string()],
        memo: HashMap::new(),
        invalid: Vec::new(),
        read: CalledFiles { root: canonical(path), ..CalledFiles::default() },
    };
    follower.calls(path, runbook).complete(runbook, &mut checked.diagnostics);
    checked.diagnostics.extend(crate::ca_files::missing_ca_files(runbook));
    checked.diagnostics.extend(crate::link_files::missing_link_files(path, runbook));
    checked.diagnostics.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.code));
    checked.invalid_callees = follower.invalid;
    (checked, follower.read)
}

/// A called runbook that does not check clean, kept whole: its errors are
/// shown in full against its own text, not only quoted in the caller's
/// RB211.
#[derive(Debug, Clone)]
pub struct InvalidCallee {
    /// The files from the one checked to this one, outermost first, as
    /// they were named.
    pub chain: Vec<String>,
    /// Its text.
    pub source: Source,
    /// Its own errors.
    pub errors: Vec<Diagnostic>,
}

struct Follower {
    /// The files being checked, outermost first.
    stack: Vec<PathBuf>,
    /// The same files as named (relative to the first).
    shown: Vec<String>,
    /// Findings per called file, once it is fully followed.
    memo: HashMap<PathBuf, Vec<Diagnostic>>,
    /// The called files with errors of their own, each once.
    invalid: Vec<InvalidCallee>,
    /// Each called file as first read, and which file each call names.
    read: CalledFiles,
}

/// What following one file's calls found, in that file's source.
#[derive(Default)]
struct Followed {
    /// The findings about its call steps.
    found: Vec<Diagnostic>,
    /// Its call steps whose RB210 (at this span) counts only their
    /// callee's statuses, and that RB210 so counted.
    narrowed: Vec<(Span, Option<Diagnostic>)>,
    /// Its call steps (by index), each with the keys its callee lets it
    /// end in ([`crate::call_keys`]) and the callee as written.
    call_keys: Vec<(usize, Vec<String>, String)>,
}

impl Followed {
    /// `runbook`'s own `diagnostics` completed with what its calls tell:
    /// RB210 on a call step judged again with the statuses its callee
    /// concludes (a status it never gives is no unrouted outcome), the
    /// findings about its calls, and RB204 for steps only such a status
    /// leads to. A called file gets the same, so that it reports in its
    /// caller what it reports alone (review-10-attack6 M7).
    fn complete(self, runbook: &Runbook, diagnostics: &mut Vec<Diagnostic>) {
        for (span, judged) in self.narrowed {
            let generic = |d: &Diagnostic| d.code == Code::UnroutedOutcome && d.span == span;
            if diagnostics.iter().any(generic) {
                diagnostics.retain(|d| !generic(d));
                diagnostics.extend(judged);
            }
        }
        diagnostics.extend(self.found);
        let dead = dead_call_routes(runbook, &self.call_keys);
        // An unreachable step's unrouted outcomes are noise beside RB204.
        let steps = &runbook.steps.value;
        for unreachable in &dead {
            let Some(index) = steps.iter().position(|step| step.id.span == unreachable.span) else { continue };
            let end = steps.get(index + 1).map_or(usize::MAX, |next| next.id.span.start);
            let start = unreachable.span.start;
            diagnostics.retain(|d| d.code != Code::UnroutedOutcome || d.span.start < start || d.span.start >= end);
        }
        diagnostics.extend(dead);
    }
}

impl Follower {
    /// The findings about `runbook`'s call steps, located in its source.
    fn calls(&mut self, path: &Path, runbook: &Runbook) -> Followed {
        let mut followed = Followed::default();
        let calling: Vec<(usize, &Spanned<Call>)> = runbook
            .steps
            .iter()
            .enumerate()
            .filter_map(|(index, step)| step.call.as_deref().map(|call| (index, call)))
            .collect();
        if calling.is_empty() {
            return followed;
        }
        let read_names = read_callee_vars(runbook);
        let types = KnownTypes::new(runbook);
        let mut sites = None;
        let mut own_flow = None;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        for (index, call) in calling {
            // RB321 says that `runbook:` is not a template.
            if crate::analyse::holds_template(&call.runbook.value) {
                continue;
            }
            let target = base.join(&call.runbook.value);
            let span = call.runbook.span;
            let key = canonical(&target);
            if let Some(position) = self.stack.iter().position(|running| *running == key) {
                let chain = self.chain(position, &target);
                followed.found.push(
                    Diagnostic::new(Code::CallCycle, span, format!("{CYCLE}{chain}"))
                        .with_label("calls a runbook that is already running")
                        .with_help("a runbook cannot call itself, directly or through others: break the cycle"),
                );
                continue;
            }
            if self.stack.len() >= MAX_CALL_DEPTH {
                followed.found.push(
                    Diagnostic::new(
                        Code::CallTarget,
                        span,
                        format!("calls are nested more than {MAX_CALL_DEPTH} deep"),
                    )
                    .with_label("too deep")
                    .with_help("flatten the chain of called runbooks"),
                );
                continue;
            }
            let running = self.stack.last().cloned().unwrap_or_default();
            self.read.calls.insert((running, index), key.clone());
            // A file called from several places is read once: each call is
            // checked against the same bytes, and the run plans those.
            let checked = match self.read.files.get(&key) {
                Some((_, first)) if first.source.name() == target.display().to_string() => first.clone(),
                Some((_, first)) => check_bytes(&target.display().to_string(), first.source.text().as_bytes()),
                None => match std::fs::read(&target) {
                    Ok(bytes) => {
                        let checked = check_bytes(&target.display().to_string(), &bytes);
                        self.read.files.insert(key.clone(), (sha256_hex(&bytes), checked.clone()));
                        checked
                    }
                    Err(error) => {
                        followed.found.push(unreadable(&call.runbook, &target, &error));
                        continue;
                    }
                },
            };
            let own: Vec<Diagnostic> =
                checked.diagnostics.iter().filter(|d| d.level() == Level::Error).cloned().collect();
            if !own.is_empty() && !self.invalid.iter().any(|callee| callee.source.name() == checked.source.name()) {
                let chain = self.shown.iter().cloned().chain(std::iter::once(target.display().to_string())).collect();
                self.invalid.push(InvalidCallee { chain, source: checked.source.clone(), errors: own });
            }
            let reported = self.follow(&target, &key, &checked);
            let errors: Vec<&Diagnostic> = reported.iter().filter(|d| d.level() == Level::Error).collect();
            if errors.is_empty() {
                let warnings: Vec<&Diagnostic> = reported.iter().filter(|d| d.level() == Level::Warning).collect();
                if !warnings.is_empty() {
                    followed.found.push(callee_warnings(&call.runbook, &checked, &warnings));
                }
            } else {
                followed.found.push(invalid_callee(&call.runbook, &checked, &errors));
            }
            let (Some(callee), Some(flow)) = (&checked.runbook, &checked.flow) else { continue };
            // The callee's own graph, built once by its check.
            let keys = crate::call_keys(&runbook.steps[index], callee, flow);
            followed.narrowed.extend(narrowed_routing(runbook, index, &keys));
            followed.found.extend(call_chain_without_conclusion(&runbook.steps[index], &call.runbook.value, &keys));
            followed.call_keys.push((index, keys, call.runbook.value.clone()));
            inputs(&types, call, &call.runbook.value, callee, &mut followed.found);
            let step_id = runbook.steps[index].id.as_str();
            if let Some(reads) = read_names.get(step_id) {
                callee_vars(reads, &call.runbook.value, callee, &mut followed.found);
                let unset = unset_at_end(callee, flow);
                let sites = sites.get_or_insert_with(|| template_sites(runbook));
                counted_callee_texts(callee, step_id, &call.runbook.value, sites, &mut followed.found);
                let callee_types = KnownTypes::new(callee);
                let callee = Callee { step: step_id, file: &call.runbook.value, types: &callee_types };
                check_callee_vars(&types, sites, callee, &mut followed.found);
                if !unset.is_empty() {
                    let own_flow = own_flow.get_or_insert_with(|| crate::Flow::new(runbook));
                    let file = &call.runbook.value;
                    followed.found.extend(unset_callee_reads(runbook, own_flow, sites, index, file, &unset));
                }
            }
        }
        followed
    }

    /// What `runbook check` reports for a called file (`checked`, its own
    /// findings), its calls followed: in its own source.
    fn follow(&mut self, target: &Path, key: &Path, checked: &Checked) -> Vec<Diagnostic> {
        if let Some(found) = self.memo.get(key) {
            return found.clone();
        }
        let mut reported = checked.diagnostics.clone();
        let Some(callee) = &checked.runbook else { return reported };
        self.stack.push(key.to_owned());
        self.shown.push(target.display().to_string());
        let followed = self.calls(target, callee);
        self.stack.pop();
        self.shown.pop();
        followed.complete(callee, &mut reported);
        reported.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.code));
        self.memo.insert(key.to_owned(), reported.clone());
        reported
    }

    /// `a.yaml → b.yaml → a.yaml`, from the running file at `position`.
    fn chain(&self, position: usize, target: &Path) -> String {
        self.stack[position..]
            .iter()
            .map(|path| format!("`{}`", file_name(path)))
            .chain(std::iter::once(format!("`{}`", file_name(target))))
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// The span of RB210 on the call step at `index`, and RB210 judged with
/// `producible`, the keys the call can end in ([`crate::call_keys`]).
fn narrowed_routing(runbook: &Runbook, index: usize, producible: &[String]) -> Option<(Span, Option<Diagnostic>)> {
    let step = &runbook.steps[index];
    let below = runbook.steps.get(index + 1)?;
    let on = step.on.as_ref()?;
    Some((on.span, unrouted_keys(step, producible, below)))
}

/// RB204 for a step only a call's route for a status its callee never
/// concludes leads to (`escalated: page` over a callee that only ever
/// diagnoses): the single-file rules count every status a call may give,
/// so they see a path there.
fn dead_call_routes(runbook: &Runbook, call_keys: &[(usize, Vec<String>, String)]) -> Vec<Diagnostic> {
    if call_keys.is_empty() {
        return Vec::new();
    }
    let generic = crate::Flow::new(runbook);
    let mut narrowed = generic.clone();
    for (index, keys, _) in call_keys {
        narrowed.narrow(runbook, *index, keys);
    }
    let (before, after) = (generic.reachable(), narrowed.reachable());
    let mut found = Vec::new();
    for (index, step) in runbook.steps.iter().enumerate() {
        if !before.get(index).copied().unwrap_or(false) || after.get(index).copied().unwrap_or(true) {
            continue;
        }
        let dead: Vec<String> = call_keys
            .iter()
            .filter_map(|(from, keys, file)| {
                let on = runbook.steps[*from].on.as_ref()?;
                let routes = on
                    .value
                    .iter()
                    .filter(|(key, target)| !keys.contains(&key.value) && goes_to(&target.value, step.id.as_str()));
                let statuses = backticked(&routes.map(|(key, _)| key.as_str()).collect::<Vec<_>>());
                (!statuses.is_empty()).then(|| {
                    format!(
                        "`{}` routes {statuses} here, which `{file}` never concludes (it concludes {})",
                        runbook.steps[*from].id.value,
                        backticked(&keys.iter().map(String::as_str).collect::<Vec<_>>())
                    )
                })
            })
            .collect();
        let Some(why) = dead.first() else { continue };
        found.push(
            Diagnostic::new(Code::UnreachableStep, step.id.span, format!("step `{}` is unreachable", step.id.value))
                .with_label("only a status the called runbook never gives leads here")
                .with_help(format!("{why}; route a status it gives, or remove the step")),
        );
    }
    found
}

/// Whether `target` (a `goto` or a `when` chain) can lead to step `id`.
fn goes_to(target: &crate::Target, id: &str) -> bool {
    match target {
        crate::Target::Goto(goto) => goto == id,
        crate::Target::Branches(branches) => branches.iter().any(|branch| branch.goto.value == id),
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

fn unreadable(written: &Spanned<String>, target: &Path, error: &std::io::Error) -> Diagnostic {
    let siblings: Vec<String> = target
        .parent()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            Path::new(name)
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
        })
        .collect();
    let wanted = file_name(target);
    let help = match did_you_mean(&wanted, siblings.iter().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`? The path is relative to this runbook's directory"),
        None => "the path is relative to this runbook's directory".to_owned(),
    };
    Diagnostic::new(
        Code::CallTarget,
        written.span,
        format!("cannot read the called runbook `{}`: {error}", written.value),
    )
    .with_label("no such runbook")
    .with_help(help)
}

/// The label of an RB211 (or RB212) on a `call` whose runbook has errors:
/// its help quotes them on one line, for `--format json`; people see them
/// in full after it ([`InvalidCallee`]).
pub const CALLEE_HAS_ERRORS: &str = "does not check clean";

fn invalid_callee(written: &Spanned<String>, checked: &Checked, errors: &[&Diagnostic]) -> Diagnostic {
    let cycle = errors.iter().find(|error| error.code == Code::CallCycle);
    let help = format!("check it with `runbook check`: {}", quoted(written, checked, errors));
    let code = if cycle.is_some() { Code::CallCycle } else { Code::CallTarget };
    let count = if errors.len() == 1 { "1 error".to_owned() } else { format!("{} errors", errors.len()) };
    let message = if let Some(cycle) = cycle {
        let chain = cycle.message.strip_prefix(CYCLE).unwrap_or(&cycle.message);
        format!("the called runbook `{}` leads into a cycle of calls: {chain}", written.value)
    } else {
        format!("the called runbook `{}` has {count}", written.value)
    };
    Diagnostic::new(code, written.span, message).with_label(CALLEE_HAS_ERRORS).with_help(help)
}

/// RB217 on a `call` whose runbook checks with warnings only: they are
/// the caller's too (an unrouted outcome of the callee takes the caller's
/// run along it), so `check --deny-warnings CALLER` counts them.
fn callee_warnings(written: &Spanned<String>, checked: &Checked, warnings: &[&Diagnostic]) -> Diagnostic {
    let count = if warnings.len() == 1 { "1 warning".to_owned() } else { format!("{} warnings", warnings.len()) };
    Diagnostic::new(Code::CalleeWarnings, written.span, format!("the called runbook `{}` has {count}", written.value))
        .with_label("runs with this runbook")
        .with_help(format!("fix them in the called runbook: {}", quoted(written, checked, warnings)))
}

/// The first few of a called runbook's `findings` on one line, each at
/// its place in the called file.
fn quoted(written: &Spanned<String>, checked: &Checked, findings: &[&Diagnostic]) -> String {
    let quoted: Vec<String> = findings
        .iter()
        .take(QUOTED_ERRORS)
        .map(|finding| {
            let (line, column) = checked.source.line_col(finding.span.start.min(checked.source.text().len()));
            format!("{}:{line}:{column}: {} {}", written.value, finding.code, finding.message)
        })
        .collect();
    let more = findings.len().saturating_sub(QUOTED_ERRORS);
    let rest = if more > 0 { format!("; and {more} more") } else { String::new() };
    format!("{}{rest}", quoted.join("; "))
}

/// The filters that convert a value to `wanted`.
const fn conversion(wanted: InputType) -> &'static str {
    match wanted {
        InputType::Number => "`| int`, `| float`",
        InputType::Bool => "`| bool`",
        InputType::String => "`| string`",
        InputType::List => "`| list`",
    }
}

/// Given inputs exist in the callee, required ones are given, literal
/// values and whole templates of a known type have the declared type.
fn inputs(types: &KnownTypes<'_>, call: &Spanned<Call>, file: &str, callee: &Runbook, out: &mut Vec<Diagnostic>) {
    let declared: Vec<&str> = callee.inputs.keys().map(|name| name.as_str()).collect();
    for (name, value) in &call.inputs {
        let Some(input) = callee.inputs.get(name.as_str()) else {
            let help = match did_you_mean(name, declared.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None if declared.is_empty() => format!("`{file}` declares no inputs"),
                None => format!("`{file}` declares {}", backticked(&declared)),
            };
            out.push(
                Diagnostic::new(Code::CallInput, name.span, format!("`{}` is not an input of `{file}`", name.value))
                    .with_label("unknown input")
                    .with_help(help),
            );
            continue;
        };
        let templated = value.as_str().and_then(|text| template_input_mismatch(types, text, input.input_type()));
        if let Some(problem) = templated {
            out.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    format!("input `{}` of `{file}` is {}, and {problem}", name.value, article_of(input.input_type())),
                )
                .with_label("a value of another type")
                .with_help(format!(
                    "give {}: convert it here ({}), or change the type",
                    article_of(input.input_type()),
                    conversion(input.input_type())
                )),
            );
        } else if let Some(problem) = literal_type_problem(input, value) {
            out.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    format!("input `{}` of `{file}` {problem}", name.value),
                )
                .with_label("a value of another type")
                .with_help(format!("give {}", article_of(input.input_type()))),
            );
        }
    }
    for (name, input) in &callee.inputs {
        if input.is_required() && input.env.is_none() && !call.inputs.contains_key(name.as_str()) {
            out.push(
                Diagnostic::new(Code::CallInput, call.span, format!("`{file}` needs the input `{}`", name.value))
                    .with_label("required input not given")
                    .with_help(format!("add it: `inputs: {{ {}: … }}`", name.value)),
            );
        }
    }
}

fn literal_type_problem(input: &Input, value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let is_template = matches!(value, Value::String(text) if text.contains("{{"));
    if is_template {
        return None;
    }
    let fits = match input.input_type() {
        InputType::String => value.is_string(),
        InputType::Number => value.is_number(),
        InputType::Bool => value.is_boolean(),
        InputType::List => value.is_array(),
    };
    (!fits).then(|| format!("is {}, given `{value}`", article_of(input.input_type())))
}

const fn article_of(kind: InputType) -> &'static str {
    match kind {
        InputType::String => "a string",
        InputType::Number => "a number",
        InputType::Bool => "a boolean",
        InputType::List => "a list",
    }
}

fn backticked(names: &[&str]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

/// `steps.ID.vars.NAME` read anywhere in the runbook, by step id, with where.
fn read_callee_vars(runbook: &Runbook) -> HashMap<String, Vec<(String, Span)>> {
    let mut reads: HashMap<String, Vec<(String, Span)>> = HashMap::new();
    for site in template_sites(runbook) {
        for name in template_names(&site) {
            let mut parts = name.split('.');
            if let (Some("steps"), Some(step), Some("vars"), Some(var)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                reads.entry(step.to_owned()).or_default().push((var.to_owned(), site.span));
            }
        }
    }
    reads
}

fn callee_vars(reads: &[(String, Span)], file: &str, callee: &Runbook, out: &mut Vec<Diagnostic>) {
    let set: HashSet<&str> = callee.steps.iter().flat_map(captured_names).collect();
    let mut known: Vec<&str> = set.iter().copied().collect();
    known.sort_unstable();
    for (var, span) in reads {
        if set.contains(var.as_str()) {
            continue;
        }
        let help = match did_you_mean(var, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.is_empty() => format!("`{file}` captures no vars"),
            None => format!("`{file}` captures {}", backticked(&known)),
        };
        out.push(
            Diagnostic::new(Code::UnknownCalleeVar, *span, format!("`{file}` never sets `vars.{var}`"))
                .with_label("no step of the called runbook captures it")
                .with_help(help),
        );
    }
}
