//! Expression rules: templates that parse, and names that something
//! provides by the time they are read.

use std::collections::HashMap;
use std::sync::LazyLock;

use minijinja::Environment;
use regex::Regex;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic, Flow, Runbook, did_you_mean};

/// The names every template may start with.
const ROOTS: &[&str] = &["inputs", "vars", "steps", "result", "run"];
/// Fields of `run`.
const RUN_FIELDS: &[&str] = &["id", "started_at", "operator", "host", "mode", "interactive", "runbook"];
/// Functions minijinja provides; they appear as undeclared names.
const FUNCTIONS: &[&str] = &["range", "dict", "namespace", "debug"];
/// The names the `record:` template reads.
const RECORD_ROOTS: &[&str] = &["run", "status", "message", "conclusion", "vars", "steps", "path"];

pub(crate) fn check(runbook: &Runbook, flow: &Flow, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    let environment = Environment::new();
    let dominators = flow.dominators();
    let mut captured: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, step) in runbook.steps.iter().enumerate() {
        for name in captures_of(step) {
            captured.entry(name).or_default().push(index);
        }
    }
    check_record_template(runbook, &environment, out);
    let scope =
        Scope { runbook, flow, dominators: &dominators, captured: &captured, unset: std::cell::RefCell::default() };
    let mut filters = FilterNames::default();
    for site in sites {
        out.extend(unknown_filters(&environment, site, &mut filters));
        out.extend(unknown_tests(&environment, site));
        let names = match parse(&environment, site) {
            Ok(names) => names,
            Err(diagnostic) => {
                out.push(diagnostic);
                continue;
            }
        };
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        for name in names {
            if let Some(diagnostic) = scope.check_name(site, &name) {
                out.push(diagnostic);
            }
        }
    }
}

/// The `record:` template renders over the record, not over a step: its
/// own names, checked for syntax and roots only.
fn check_record_template(runbook: &Runbook, environment: &Environment<'_>, out: &mut Vec<Diagnostic>) {
    let Some(template) = &runbook.record else { return };
    let site = TemplateSite {
        text: &template.value,
        span: template.span,
        kind: TemplateKind::Template,
        step: None,
        after_probe: false,
        item: None,
    };
    let names = match parse(environment, &site) {
        Ok(names) => names,
        Err(diagnostic) => {
            out.push(diagnostic);
            return;
        }
    };
    let mut roots: Vec<&str> = names.iter().map(|name| name.split('.').next().unwrap_or(name)).collect();
    roots.sort_unstable();
    roots.dedup();
    for root in roots.into_iter().filter(|root| !RECORD_ROOTS.contains(root) && !FUNCTIONS.contains(root)) {
        out.push(
            Diagnostic::new(
                Code::UnknownName,
                template.span,
                format!("`{root}` is not defined in the `record:` template"),
            )
            .with_label("unknown name")
            .with_optional_help(
                did_you_mean(root, RECORD_ROOTS.iter().copied())
                    .map(|s| format!("did you mean `{s}`? The record template reads {}", RECORD_ROOTS.join(", "))),
            ),
        );
    }
}

/// Filter names already looked up, so that each is tried once per runbook.
#[derive(Default)]
struct FilterNames {
    known: std::collections::HashSet<String>,
    unknown: std::collections::HashSet<String>,
}

impl FilterNames {
    fn exists(&mut self, environment: &Environment<'_>, name: &str) -> bool {
        if ENGINE_FILTERS.contains(&name) || self.known.contains(name) {
            return true;
        }
        if self.unknown.contains(name) {
            return false;
        }
        let probe = environment.render_str(&format!("{{{{ none | {name} }}}}"), ());
        let exists = !probe.is_err_and(|error| error.kind() == minijinja::ErrorKind::UnknownFilter);
        if exists {
            self.known.insert(name.to_owned())
        } else {
            self.unknown.insert(name.to_owned())
        };
        exists
    }
}

/// Filters the engine adds to minijinja's built-ins.
const ENGINE_FILTERS: &[&str] = &["jsonpath", "regex", "version", "duration", "milliseconds", "dash_ok", "words"];

/// Blocks of a template: what is inside `{{ }}` and `{% %}`.
static BLOCKS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\{\{(.*?)\}\}|\{%(.*?)%\}").expect("valid regex"));
/// String literals inside a block, whose `|` is text.
static STRINGS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*""#).expect("valid regex"));
/// A filter application.
static FILTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\|\s*([A-Za-z_][A-Za-z0-9_]*)").expect("valid regex"));

/// Filters a template applies that exist neither in minijinja nor in the
/// engine: found now, not when the template renders during an incident.
fn unknown_filters(environment: &Environment<'_>, site: &TemplateSite<'_>, names: &mut FilterNames) -> Vec<Diagnostic> {
    if !site.text.contains('|') {
        return Vec::new();
    }
    let code: Vec<String> = match site.kind {
        TemplateKind::Expression => vec![site.text.to_owned()],
        TemplateKind::Template | TemplateKind::Shell => BLOCKS
            .captures_iter(site.text)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_owned()))
            .collect(),
    };
    let mut unknown: Vec<String> = Vec::new();
    for block in code {
        let block = STRINGS.replace_all(&block, "''");
        for name in FILTER.captures_iter(&block).filter_map(|c| c.get(1)).map(|m| m.as_str()) {
            if !unknown.iter().any(|known| known == name) && !names.exists(environment, name) {
                unknown.push(name.to_owned());
            }
        }
    }
    unknown
        .into_iter()
        .map(|name| {
            Diagnostic::new(Code::UnknownFilter, site.span, format!("there is no filter `{name}`"))
                .with_label("unknown filter")
                .with_help(
                    "filters are minijinja's built-ins (`default`, `join`, `lower`, `tojson`, `urlencode`, `replace`, \
                     …) and `jsonpath` and `regex`",
                )
        })
        .collect()
}

/// Tests a template or expression applies (`x is NAME`) that minijinja
/// does not have: `vars.m is truthy` parses, and stops the run when it is
/// evaluated.
fn unknown_tests(environment: &Environment<'_>, site: &TemplateSite<'_>) -> Vec<Diagnostic> {
    if !site.text.contains(" is ") {
        return Vec::new();
    }
    let mut names = crate::comparison::applied_tests(site.text, site.kind != TemplateKind::Expression);
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            let probe = environment.render_str(&format!("{{{{ none is {name} }}}}"), ());
            probe.is_err_and(|error| error.kind() == minijinja::ErrorKind::UnknownTest)
        })
        .map(|name| {
            let help = did_you_mean(&name, KNOWN_TESTS.iter().copied()).map_or_else(
                || {
                    "tests are minijinja's: `defined`, `none`, `number`, `string`, `boolean`, `sequence`, \
                     `mapping`, `startingwith`, `sameas`, `in`, … (`runbook explain RB318`); a value's truth is the \
                     value itself"
                        .to_owned()
                },
                |test| format!("did you mean `is {test}`?"),
            );
            Diagnostic::new(Code::UnknownTest, site.span, format!("there is no test `{name}`"))
                .with_label("unknown test")
                .with_help(help)
        })
        .collect()
}

/// minijinja's tests with the `builtins` feature, for "did you mean".
const KNOWN_TESTS: &[&str] = &[
    "defined",
    "undefined",
    "none",
    "true",
    "false",
    "odd",
    "even",
    "divisibleby",
    "number",
    "integer",
    "float",
    "string",
    "boolean",
    "sequence",
    "iterable",
    "mapping",
    "startingwith",
    "endingwith",
    "safe",
    "escaped",
    "lower",
    "upper",
    "sameas",
    "equalto",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "filter",
    "test",
];

fn walk_captures<'a>(check: &'a crate::Check, names: &mut Vec<&'a str>) {
    names.extend(check.capture.keys().map(|name| name.as_str()));
    if let Some(probes) = &check.probes {
        for member in probes.values() {
            walk_captures(member, names);
        }
    }
}

/// The var names a step captures, `probes:` members included.
pub(crate) fn captures_of(step: &crate::Step) -> Vec<&str> {
    let mut names = Vec::new();
    if let Some(check) = step.probing() {
        walk_captures(check, &mut names);
    }
    if let Some(action) = &step.action {
        names.extend(action.capture.keys().map(|name| name.as_str()));
    }
    names
}

/// The dotted names a template reads (`steps.db.vars.host`); none when it
/// does not parse, which RB301 reports.
pub(crate) fn names(site: &TemplateSite<'_>) -> std::collections::HashSet<String> {
    parse(&Environment::new(), site).unwrap_or_default()
}

fn parse(
    environment: &Environment<'_>,
    site: &TemplateSite<'_>,
) -> Result<std::collections::HashSet<String>, Diagnostic> {
    let result = match site.kind {
        TemplateKind::Template | TemplateKind::Shell => {
            environment.template_from_str(site.text).map(|template| template.undeclared_variables(true))
        }
        TemplateKind::Expression => {
            environment.compile_expression(site.text).map(|expression| expression.undeclared_variables(true))
        }
    };
    result.map_err(|error| {
        let what = if site.kind == TemplateKind::Expression { "expression" } else { "template" };
        let detail = error.detail().unwrap_or("syntax error");
        let help = if site.kind == TemplateKind::Expression {
            "`when` and `stop_if` are bare Jinja expressions, without `{{ }}`: e.g. `result.status >= 500`"
        } else {
            "templates use Jinja syntax: `{{ inputs.name }}`; write a literal `{{` as `{{ '{{' }}`"
        };
        Diagnostic::new(Code::TemplateSyntax, site.span, format!("invalid {what}: {detail}"))
            .with_label("does not parse")
            .with_help(help)
    })
}

struct Scope<'a> {
    runbook: &'a Runbook,
    flow: &'a Flow,
    dominators: &'a crate::flow::Dominators,
    /// Per var, the steps reachable without passing a step that captures it.
    unset: std::cell::RefCell<HashMap<String, Vec<bool>>>,
    captured: &'a HashMap<&'a str, Vec<usize>>,
}

impl Scope<'_> {
    fn check_name(&self, site: &TemplateSite<'_>, name: &str) -> Option<Diagnostic> {
        let mut parts = name.split('.');
        let root = parts.next().unwrap_or_default();
        let field = parts.next();
        let span = site.span;
        match root {
            "inputs" => {
                let field = field?;
                if self.runbook.inputs.contains_key(field) {
                    return None;
                }
                let declared: Vec<&str> = self.runbook.inputs.keys().map(|k| k.as_str()).collect();
                Some(
                    Diagnostic::new(Code::UndefinedInput, span, format!("undeclared input `{field}`"))
                        .with_label(format!("reads `inputs.{field}`"))
                        .with_help(match did_you_mean(field, declared.iter().copied()) {
                            Some(suggestion) => format!("did you mean `inputs.{suggestion}`?"),
                            None => format!("declare it under `inputs:`, e.g. `{field}: {{ description: …, default: … }}`"),
                        }),
                )
            }
            "vars" => self.check_var(site, field?),
            "steps" => self.check_step(site, field?),
            "result" if site.after_probe => None,
            "result" => Some(
                Diagnostic::new(Code::UnknownName, span, "`result` is not defined here")
                    .with_label("before the step has a result")
                    .with_help("`result` is the current step's result, readable in `when` of its `on:` and in `retry.stop_if`; elsewhere use `steps.ID`"),
            ),
            "run" => {
                let field = field?;
                (!RUN_FIELDS.contains(&field)).then(|| {
                    Diagnostic::new(Code::UnknownName, span, format!("`run` has no field `{field}`")).with_help(
                        match did_you_mean(field, RUN_FIELDS.iter().copied()) {
                            Some(suggestion) => format!("did you mean `run.{suggestion}`?"),
                            None => format!("`run` has {}", quoted(RUN_FIELDS)),
                        },
                    )
                })
            }
            _ if site.item == Some(root) || FUNCTIONS.contains(&root) => None,
            _ => {
                let mut roots: Vec<&str> = ROOTS.to_vec();
                roots.extend(site.item);
                let help = match did_you_mean(root, roots.iter().copied()) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None if root == "item" => "`item` exists only in a check with `foreach`".to_owned(),
                    None => format!("templates read {}", quoted(&roots)),
                };
                Some(
                    Diagnostic::new(Code::UnknownName, span, format!("unknown name `{root}`"))
                        .with_label("not in the template context")
                        .with_help(help),
                )
            }
        }
    }

    fn check_var(&self, site: &TemplateSite<'_>, var: &str) -> Option<Diagnostic> {
        let span = site.span;
        let Some(capturers) = self.captured.get(var) else {
            let known: Vec<&str> = self.captured.keys().copied().collect();
            return Some(
                Diagnostic::new(Code::UndefinedVar, span, format!("no step captures `{var}`"))
                    .with_label(format!("reads `vars.{var}`"))
                    .with_help(match did_you_mean(var, known.iter().copied()) {
                        Some(suggestion) => format!("did you mean `vars.{suggestion}`?"),
                        None => format!("capture it in an earlier check: `capture: {{ {var}: {{ json: \"$.…\" }} }}`"),
                    }),
            );
        };
        let step = site.step?;
        if !self.dominators.is_reachable(step) || is_guarded(site.text, "vars", var) {
            return None;
        }
        let own_capture = site.after_probe && capturers.contains(&step);
        let may_be_unset = !own_capture && self.reachable_avoiding(var, capturers, step);
        may_be_unset.then(|| {
            let names: Vec<&str> = capturers.iter().map(|&i| self.runbook.steps[i].id.as_str()).collect();
            Diagnostic::new(Code::StepNotRunYet, span, format!("`vars.{var}` may be unset here"))
                .with_label(format!("captured by {}; some paths reach this step without them", quoted(&names)))
                .with_help(format!(
                    "read it only on paths through a capturing step, guard it with `vars.{var} is defined`, or use `vars.{var} | default(…)`"
                ))
        })
    }

    /// Whether `step` (reachable) can be reached from the start without
    /// passing through any of `capturers`. One capturer, the common case,
    /// is a dominance query; a set of them costs one walk per var.
    fn reachable_avoiding(&self, var: &str, capturers: &[usize], step: usize) -> bool {
        if let [capturer] = capturers {
            return *capturer == step || !self.dominators.dominates(*capturer, step);
        }
        *self
            .unset
            .borrow_mut()
            .entry(var.to_owned())
            .or_insert_with(|| self.flow.reachable_avoiding(capturers))
            .get(step)
            .unwrap_or(&false)
    }

    fn check_step(&self, site: &TemplateSite<'_>, id: &str) -> Option<Diagnostic> {
        let span = site.span;
        let Some(target) = self.flow.position(id) else {
            let ids: Vec<&str> = self.runbook.steps.iter().map(|s| s.id.as_str()).collect();
            let dashed: Vec<&str> = ids.iter().copied().filter(|s| s.starts_with(&format!("{id}-"))).collect();
            let help = if let Some(dashed) = dashed.first() {
                format!("ids with `-` need brackets in templates: `steps['{dashed}']`")
            } else if let Some(suggestion) = did_you_mean(id, ids.iter().copied()) {
                format!("did you mean `steps.{suggestion}`?")
            } else {
                "`steps.ID` reads a step of this runbook by its id".to_owned()
            };
            return Some(
                Diagnostic::new(Code::UndefinedStep, span, format!("unknown step `{id}`"))
                    .with_label(format!("reads `steps.{id}`"))
                    .with_help(help),
            );
        };
        let step = site.step?;
        let has_run = !self.dominators.is_reachable(step)
            || (target == step && site.after_probe)
            || (target != step && self.dominators.dominates(target, step))
            || is_guarded(site.text, "steps", id);
        (!has_run).then(|| {
            Diagnostic::new(Code::StepNotRunYet, span, format!("step `{id}` may not have run here"))
                .with_label(format!("reads `steps.{id}`"))
                .with_help(format!(
                    "some paths reach this step without passing through `{id}`; guard it with `steps.{id} is defined`, or read it only after it"
                ))
        })
    }
}

/// Whether the text tests the name before relying on it:
/// `X is defined`, `X is not defined`, `X is undefined`, `X | default(…)`, where `X` may go on
/// into fields (`steps.ID.answer is defined`).
pub(crate) fn is_guarded(text: &str, root: &str, field: &str) -> bool {
    let name = format!("{root}.{field}");
    text.match_indices(&name).any(|(at, _)| {
        let mut rest = &text[at + name.len()..];
        while let Some(fields) = rest.strip_prefix('.') {
            rest = fields.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
        }
        let words: Vec<&str> = rest.split_whitespace().take(3).collect();
        let after = words.join(" ");
        let filter: String = rest.chars().filter(|c| !c.is_whitespace()).take(9).collect();
        after.starts_with("is defined")
            || after.starts_with("is not defined")
            || after.starts_with("is undefined")
            || filter.starts_with("|default")
            || filter.starts_with("|d(")
    })
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::{KNOWN_TESTS, is_guarded};
    use crate::{Code, Flow, Source, analyse, load};

    #[test]
    fn unknown_tests_are_reported_and_known_ones_are_minijinjas() {
        let environment = minijinja::Environment::new();
        for test in KNOWN_TESTS {
            let known = environment.render_str(&format!("{{{{ 2 is {test} }}}}"), ());
            assert!(!known.is_err_and(|e| e.kind() == minijinja::ErrorKind::UnknownTest), "{test}");
        }
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: a\n    instruct: { text: go }\n    next:\n      \
                    - when: steps.a.notes is truthy or steps.a is defined\n        goto: b\n      - goto: b\n  \
                    - id: b\n    conclude: { status: resolved, diagnosis: \"{% if 3 is divisibleby(3) and 'a' is strin %}x{% endif %}\" }\n";
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        let found: Vec<String> = analyse(&runbook)
            .into_iter()
            .filter(|d| d.code == Code::UnknownTest)
            .map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("there is no test `truthy` | did you mean `is true`?"), "{found:?}");
        assert!(found[1].starts_with("there is no test `strin` | did you mean `is string`?"), "{found:?}");
    }

    #[test]
    fn guards_are_recognised_in_every_spelling() {
        let guarded = [
            "{% if steps.a is defined %}{{ steps.a.answer }}{% endif %}",
            "{% if x %}{% elif steps.a is defined and steps.a.answer == 1 %}{% endif %}",
            "{% if steps.a.answer is defined %}{% endif %}",
            "{% if steps.a is not defined %}{% endif %}",
            "{{ steps.a | default('') }}",
            "{{ steps.a.notes.n|d('x') }}",
        ];
        for text in guarded {
            assert!(is_guarded(text, "steps", "a"), "{text}");
        }
        let unguarded =
            ["{{ steps.a.answer }}", "{% if steps.ab is defined %}{{ steps.a }}{% endif %}", "steps.a isdefinedx"];
        for text in unguarded {
            assert!(!is_guarded(text, "steps", "a"), "{text}");
        }
    }

    /// The shortcut for a var with one capturing step: "reachable without
    /// passing it" is "not dominated by it", checked against the walk on
    /// many branching graphs.
    #[test]
    fn one_capturer_is_a_dominance_query() {
        let mut seed: u64 = 7;
        let mut next = |bound: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % bound
        };
        for _ in 0..40 {
            let count = 3 + next(10);
            let mut yaml = String::from("id: g\ntitle: G\nsteps:\n");
            for i in 0..count {
                let (pass, fail) = (next(count), next(count));
                let _ = write!(
                    yaml,
                    "  - id: s{i}\n    check: {{ cmd: {{ argv: [\"true\"] }}, expect: [{{ exit_code: 0 }}] }}\n"
                );
                let _ = writeln!(yaml, "    on: {{ pass: s{pass}, fail: s{fail} }}");
            }
            let runbook = load(&Source::new("g.yaml", yaml)).expect("loads");
            let flow = Flow::new(&runbook);
            let dominators = flow.dominators();
            for capturer in 0..count {
                let walked = flow.reachable_avoiding(&[capturer]);
                for step in (0..count).filter(|&step| dominators.is_reachable(step)) {
                    let shortcut = capturer == step || !dominators.dominates(capturer, step);
                    assert_eq!(walked[step], shortcut, "capturer s{capturer}, step s{step}");
                }
            }
        }
    }
}
