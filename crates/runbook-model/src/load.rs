//! Reading YAML into a [`Runbook`], or into one located [`Diagnostic`].

use std::sync::LazyLock;

use regex::Regex;
use serde_saphyr::budget::Budget;
use serde_saphyr::options::{AliasLimits, DuplicateKeyPolicy, Options};

use crate::{Code, Diagnostic, Flow, Runbook, Source, Span, TestFile, did_you_mean};

mod tree;
mod tree_de;

/// What a file being loaded holds: the words and the page its diagnostics
/// point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Runbook,
    TestFile,
}

impl Subject {
    /// `a runbook` / `a test file`.
    const fn noun(self) -> &'static str {
        match self {
            Self::Runbook => "a runbook",
            Self::TestFile => "a test file",
        }
    }

    /// `runbooks` / `test files`.
    const fn plural(self) -> &'static str {
        match self {
            Self::Runbook => "runbooks",
            Self::TestFile => "test files",
        }
    }

    /// The page that describes the file's keys.
    const fn doc(self) -> &'static str {
        match self {
            Self::Runbook => "docs/dsl.md",
            Self::TestFile => "docs/testing.md",
        }
    }

    /// What the file's top level looks like, and where to read more.
    fn shape(self) -> String {
        match self {
            Self::Runbook => "a runbook is a mapping with at least `id`, `title` and `steps`; see docs/dsl.md".to_owned(),
            Self::TestFile => {
                "a test file is a mapping with `cases:`, a list of `{ name, observations, answers, expect }`; see docs/testing.md".to_owned()
            }
        }
    }

    /// How to make a file smaller.
    const fn split(self) -> &'static str {
        match self {
            Self::Runbook => "split a larger one with `call` steps",
            Self::TestFile => "split the cases over several test files named on the command line",
        }
    }
}

/// Largest runbook file accepted. Real runbooks are a few kilobytes; the
/// limit keeps a stray log file from eating memory.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Decodes a file's bytes. Invalid UTF-8 is replaced so the diagnostic that
/// reports it can still show the surrounding text.
pub fn decode(name: &str, bytes: &[u8]) -> (Source, Option<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Source::new(name, text), None),
        Err(error) => {
            let valid = error.valid_up_to();
            let source = Source::new(name, String::from_utf8_lossy(bytes));
            let diagnostic = Diagnostic::new(Code::NotUtf8, Span::new(valid, 1), "the file is not valid UTF-8")
                .with_label("invalid byte here")
                .with_help("save the runbook as UTF-8 text");
            (source, Some(diagnostic))
        }
    }
}

/// A runbook file read, loaded and analysed.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The text, for rendering diagnostics.
    pub source: Source,
    /// The runbook, when it loaded (it may still have errors among
    /// `diagnostics`).
    pub runbook: Option<Runbook>,
    /// Its graph, built once for the analysis and kept for the plan.
    pub flow: Option<Flow>,
    /// Every finding: the load error, or the analysis's.
    pub diagnostics: Vec<Diagnostic>,
    /// The runbooks it calls that have errors of their own (filled by
    /// [`crate::check_file_bytes`]).
    pub invalid_callees: Vec<crate::InvalidCallee>,
}

/// Decodes, loads and analyses a file's bytes; [`crate::Plan::new`] turns
/// the result into what runs.
pub fn check_bytes(name: &str, bytes: &[u8]) -> Checked {
    let (source, not_utf8) = decode(name, bytes);
    if let Some(diagnostic) = not_utf8 {
        return Checked {
            source,
            runbook: None,
            flow: None,
            diagnostics: vec![diagnostic],
            invalid_callees: Vec::new(),
        };
    }
    match load(&source) {
        Ok(runbook) => {
            let flow = Flow::new(&runbook);
            let diagnostics = crate::analyse::analyse_with_flow(&runbook, &flow, Some(source.text()));
            Checked { source, runbook: Some(runbook), flow: Some(flow), diagnostics, invalid_callees: Vec::new() }
        }
        Err(diagnostic) => {
            Checked { source, runbook: None, flow: None, diagnostics: vec![diagnostic], invalid_callees: Vec::new() }
        }
    }
}

/// Parses and type-checks a runbook. Shape errors stop at the first one, as
/// in a compiler's parser; the lint rules of [`crate::analyse`] then collect
/// every finding.
pub fn load(source: &Source) -> Result<Runbook, Diagnostic> {
    let text = source.text();
    if text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(
            Code::YamlBudget,
            Span::new(0, 0),
            format!("the file is over {MAX_FILE_BYTES} bytes, the limit for a runbook"),
        )
        .with_help("split the runbook with `call` steps"));
    }
    if is_blank(text) {
        return Err(Diagnostic::new(Code::EmptyFile, Span::new(0, 0), "the file holds no runbook")
            .with_help(Subject::Runbook.shape()));
    }
    read(text).map_err(|error| to_diagnostic(source, &error, Subject::Runbook))
}

/// Parses and type-checks a runbook test file (`NAME.test.yaml`), with the
/// same limits and diagnostics as a runbook; [`crate::analyse_test_file`]
/// then checks it against its runbook.
pub fn load_test_file(source: &Source) -> Result<TestFile, Diagnostic> {
    let text = source.text();
    if text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(
            Code::YamlBudget,
            Span::new(0, 0),
            format!("the file is over {MAX_FILE_BYTES} bytes, the limit for a test file"),
        )
        .with_help(Subject::TestFile.split()));
    }
    if is_blank(text) {
        return Err(Diagnostic::new(Code::EmptyFile, Span::new(0, 0), "the file holds no test cases")
            .with_help(Subject::TestFile.shape()));
    }
    read(text).map_err(|error| to_diagnostic(source, &error, Subject::TestFile))
}

/// Whether only blank lines, comments and a `---` come before `prefix`'s end.
fn is_document_start(prefix: &str) -> bool {
    is_blank(prefix)
}

fn is_blank(text: &str) -> bool {
    text.lines().map(str::trim).all(|line| line.is_empty() || line.starts_with('#') || line == "---" || line == "...")
}

/// Reads a runbook or a test file: through the quick tree reader when it
/// is sure to read the text as serde-saphyr does (a plain document, the
/// common case), else, and for every error, through serde-saphyr.
fn read<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, serde_saphyr::Error> {
    let quick = tree::read(text, &limits()).and_then(|node| T::deserialize(node).ok());
    quick.map_or_else(|| serde_saphyr::from_str_with_options(text, options()), Ok)
}

fn limits() -> Budget {
    let mut budget = Budget::default();
    budget.max_depth = 48;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    // The totals above bound the work; a ratio check on top refuses sane
    // files that reuse one anchor (a shared `env:` map) many times.
    budget.enforce_alias_anchor_ratio = false;
    budget
}

fn options() -> Options {
    let mut alias_limits = AliasLimits::default();
    alias_limits.max_total_replayed_events = 100_000;
    let mut options = Options::default();
    options.budget = Some(limits());
    options.alias_limits = alias_limits;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.strict_booleans = true;
    options.reject_unsupported_tags = true;
    options.with_snippet = false;
    options
}

static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" at line \d+, column \d+$").expect("valid regex"));
static FOUND_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^expected (.+), found the string "(.*)"$"#).expect("valid regex"));
static UNKNOWN_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^unknown (field|variant) `([^`]*)`, (?:expected one of|expected) (.*)$").expect("valid regex")
});

fn to_diagnostic(source: &Source, error: &serde_saphyr::Error, subject: Subject) -> Diagnostic {
    let rendered = error.without_snippet().to_string();
    let message = LOCATION_SUFFIX.replace(rendered.trim(), "").into_owned();
    let span = error.location().map_or_else(Span::default, |location| {
        let span = Span::from(location);
        if span == Span::default() && location.line() > 0 {
            let start = source.offset(to_usize(location.line()), to_usize(location.column()));
            Span::new(start, 0)
        } else {
            span
        }
    });
    let span = span.clamp(source.text().len());
    match error.without_snippet() {
        serde_saphyr::Error::ExternalMessage { .. }
        | serde_saphyr::Error::MultipleDocuments { .. }
        | serde_saphyr::Error::UnknownAnchor { .. } => {
            if is_budget(&message) {
                budget(&message, span, subject)
            } else {
                syntax(&message, span, subject)
            }
        }
        serde_saphyr::Error::Budget { .. }
        | serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => budget(&message, span, subject),
        serde_saphyr::Error::Unexpected { expected, .. } => {
            wrong_shape(expected, span, source.text().get(..span.start).unwrap_or_default(), subject)
        }
        _ => classify(&message, span, subject),
    }
}

fn budget(message: &str, span: Span, subject: Subject) -> Diagnostic {
    let message = if message.contains("Depth") || message.contains("recursion limit") {
        "the YAML is nested too deeply".to_owned()
    } else if message.contains("Aliases") || message.contains("Anchors") {
        "the YAML uses too many anchors or aliases".to_owned()
    } else if message.contains("Nodes") || message.contains("Events") {
        format!("the YAML has too many nodes for {}", subject.noun())
    } else if message.contains("replay") || message.contains("expansion") {
        "aliases expand to too much YAML (a \"billion laughs\" file)".to_owned()
    } else {
        LOCATION_SUFFIX.replace(message, "").into_owned()
    };
    Diagnostic::new(Code::YamlBudget, span, message)
        .with_label("limit reached here")
        .with_help(format!("{} are limited to 250000 YAML nodes, 48 levels of nesting, 1000 anchors, 1000 aliases and 100000 events expanded from aliases; {}", subject.plural(), subject.split()))
}

fn wrong_shape(expected: &str, span: Span, source_prefix: &str, subject: Subject) -> Diagnostic {
    let wanted = match expected {
        "mapping start" => "a mapping (`key: value` lines or `{ … }`)",
        "sequence start" => "a list (`- item` lines or `[ … ]`)",
        "string scalar" => "a single value",
        other => other,
    };
    if expected == "mapping start" && is_document_start(source_prefix) {
        let help = match subject {
            Subject::Runbook => "a runbook is a mapping (`id: …`, `title: …`, `steps: …`), not a list or a scalar",
            Subject::TestFile => "a test file is a mapping (`cases: …`), not a list or a scalar",
        };
        return Diagnostic::new(Code::YamlSyntax, span, format!("{} must be a mapping", subject.noun()))
            .with_label("the document starts here")
            .with_help(help);
    }
    Diagnostic::new(Code::InvalidValue, span, format!("wrong type: expected {wanted}"))
        .with_label("wrong type")
        .with_help(format!("see {} for the type this key takes", subject.doc()))
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Where a key unknown at its place belongs instead, if it is a key at
/// another level (`sh` written under `check:` belongs under `cmd:`).
fn elsewhere(key: &str, subject: Subject) -> Option<String> {
    let schema = match subject {
        Subject::Runbook => crate::schema::runbook_schema(),
        Subject::TestFile => crate::schema::test_schema(),
    };
    let places = crate::schema::key_places(&schema, key);
    match places.as_slice() {
        [] => None,
        [one] if one.starts_with('`') => {
            let parent = one.trim_matches(|c| c == '`' || c == ':');
            Some(format!("`{key}` is a key of {one}, not of this mapping: `{parent}: {{ {key}: … }}`"))
        }
        [one] => Some(format!("`{key}` is a key of {one}, not of this mapping")),
        [first @ .., last] => {
            let shown: Vec<&str> = first.iter().take(3).map(String::as_str).collect();
            Some(format!("`{key}` is a key of {} or {last}, not of this mapping", shown.join(", ")))
        }
    }
}

fn classify(message: &str, span: Span, subject: Subject) -> Diagnostic {
    if let Some(captures) = UNKNOWN_NAME.captures(message) {
        let what = &captures[1];
        let name = &captures[2];
        let allowed: Vec<&str> =
            captures[3].split(", ").map(|item| item.trim_matches('`')).filter(|item| !item.is_empty()).collect();
        let list = allowed.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ");
        let help = match (did_you_mean(name, allowed.iter().copied()), elsewhere(name, subject)) {
            (Some(suggestion), _) => format!("did you mean `{suggestion}`? allowed here: {list}"),
            (None, Some(elsewhere)) if what == "field" => format!("{elsewhere}; allowed here: {list}"),
            (None, _) => format!("allowed here: {list}"),
        };
        return if what == "field" {
            Diagnostic::new(Code::UnknownField, span, format!("unknown key `{name}`"))
                .with_label("not allowed here")
                .with_help(help)
        } else {
            Diagnostic::new(Code::InvalidValue, span, format!("unknown value `{name}`"))
                .with_label("not one of the allowed values")
                .with_help(help)
        };
    }
    if let Some(captures) = FOUND_STRING.captures(message) {
        return quoted_scalar(&captures[1], &captures[2], span);
    }
    if let Some((found, whole)) = message.split_once(": write `").filter(|(found, _)| found.starts_with("expected ")) {
        return Diagnostic::new(Code::InvalidValue, span, found.to_owned())
            .with_label("a decimal")
            .with_help(format!("write `{}`: this key takes a whole number", whole.trim_end_matches('`')));
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        return Diagnostic::new(Code::MissingField, span, format!("missing key {field}"))
            .with_label(format!("this mapping needs {field}"))
            .with_help(format!("add {field}; see {} for what it holds", subject.doc()));
    }
    if message.starts_with("duplicate mapping key") {
        let key =
            message.strip_prefix("duplicate mapping key: ").and_then(|rest| rest.split(',').next()).unwrap_or_default();
        return Diagnostic::new(Code::DuplicateKey, span, format!("duplicate key `{key}`"))
            .with_label("already given above in this mapping")
            .with_help("YAML keeps only one of the two values: remove or rename one");
    }
    if message.contains("strict mode expects true/false") {
        return Diagnostic::new(Code::InvalidValue, span, "invalid boolean")
            .with_label("not `true` or `false`")
            .with_help("write `true` or `false`; `yes`, `no`, `on` and `off` are not booleans here");
    }
    if is_budget(message) {
        return budget(message, span, subject);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return Diagnostic::new(Code::InvalidValue, span, format!("wrong type: {rest}"))
            .with_label("wrong type")
            .with_help(format!("see {} for the type this key takes", subject.doc()));
    }
    if message.starts_with("unexpected end of input") {
        let what = match subject {
            Subject::Runbook => "the file holds no runbook",
            Subject::TestFile => "the file holds no test cases",
        };
        return Diagnostic::new(Code::EmptyFile, span, what).with_help(subject.shape());
    }
    if message.contains("null into") {
        return Diagnostic::new(Code::InvalidValue, span, "a value is required here, found null")
            .with_label("empty value")
            .with_help("write a value after the colon, or remove the key");
    }
    if message.starts_with("invalid u")
        || message.starts_with("invalid i")
        || (message.starts_with("number ") && message.contains(" is out of range for "))
    {
        return Diagnostic::new(Code::InvalidValue, span, "number out of range")
            .with_label("too large or negative")
            .with_help("use a whole number from 0 to 4294967295");
    }
    if message.starts_with("unsupported tag") {
        return Diagnostic::new(Code::InvalidValue, span, message.to_owned())
            .with_label("tag not allowed")
            .with_help(format!("{} take plain YAML values: remove the `!` tag", subject.plural()));
    }
    if message.contains("recursive references") {
        return Diagnostic::new(Code::YamlSyntax, span, "an alias refers to the anchor that contains it")
            .with_label("recursive alias")
            .with_help("YAML values cannot contain themselves: copy the value instead of aliasing it");
    }
    Diagnostic::new(Code::InvalidValue, span, message.to_owned()).with_label("here")
}

/// A string where a number, a boolean or a port belongs: quoted, or a word.
fn quoted_scalar(wanted: &str, text: &str, span: Span) -> Diagnostic {
    let unquoted = text.trim();
    let is_bool = unquoted == "true" || unquoted == "false";
    let is_number = unquoted.parse::<f64>().is_ok()
        || unquoted.strip_prefix("0x").is_some_and(|hex| u64::from_str_radix(hex, 16).is_ok());
    let wants_bool = wanted.contains("true");
    let help = if (wants_bool && is_bool) || (!wants_bool && is_number) {
        format!("remove the quotes: `{unquoted}`; a quoted value is a string")
    } else if wants_bool {
        "write `true` or `false` without quotes; `yes`, `no`, `on` and `off` are not booleans here".to_owned()
    } else if wanted.contains("template") {
        "write the port as a number (`80`), or a template that renders to one (`\"{{ inputs.port }}\"`)".to_owned()
    } else {
        format!("write {wanted} without quotes, e.g. `4`")
    };
    let message = if wants_bool && !is_bool {
        "invalid boolean".to_owned()
    } else {
        format!("expected {wanted}, found the string \"{text}\"")
    };
    Diagnostic::new(Code::InvalidValue, span, message)
        .with_label("a string, not the type this key takes")
        .with_help(help)
}

fn is_budget(message: &str) -> bool {
    ["budget", "limit", "exceeded", "too many", "too deep"].iter().any(|word| message.to_lowercase().contains(word))
}

fn syntax(message: &str, span: Span, subject: Subject) -> Diagnostic {
    if message.contains("multiple YAML documents") {
        return Diagnostic::new(Code::YamlSyntax, span, "a second YAML document starts here")
            .with_label("document separator")
            .with_help(match subject {
                Subject::Runbook => "a runbook file holds one document: remove the `---` line, or split the file",
                Subject::TestFile => "a test file holds one document: remove the `---` line, or split the file",
            });
    }
    Diagnostic::new(Code::YamlSyntax, span, format!("invalid YAML: {message}"))
        .with_label("here")
        .with_help("check the indentation (spaces, not tabs) and the quoting of this line; values containing `: ` or ` #` need quotes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (Diagnostic, (usize, usize)) {
        let source = Source::new("t.yaml", text);
        let diagnostic = load(&source).unwrap_err();
        let position = source.line_col(diagnostic.span.start);
        (diagnostic, position)
    }

    #[test]
    fn unknown_field_suggests_the_closest_key() {
        let (diagnostic, position) =
            error("id: x\ntitle: T\nsteps:\n  - id: a\n    check:\n      http: { url: u, timeuot: 3s }\n");
        assert_eq!(diagnostic.code, Code::UnknownField);
        assert_eq!(diagnostic.message, "unknown key `timeuot`");
        assert_eq!(position, (6, 23));
        assert_eq!(diagnostic.span.len(), "timeuot".len());
        assert!(diagnostic.help.unwrap().starts_with("did you mean `timeout`?"));
    }

    #[test]
    fn bare_number_duration_says_which_unit_to_add() {
        let (diagnostic, position) = error("id: x\ntitle: T\ntimeout: 30\nsteps: []\n");
        assert_eq!(diagnostic.code, Code::InvalidValue);
        assert_eq!(position, (3, 10));
        assert!(diagnostic.message.contains("write `30s` for seconds"), "{}", diagnostic.message);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let (diagnostic, position) = error("id: x\ntitle: T\nid: y\nsteps: []\n");
        assert_eq!(diagnostic.code, Code::DuplicateKey);
        assert_eq!(diagnostic.message, "duplicate key `id`");
        assert_eq!(position, (3, 1));
    }

    #[test]
    fn yes_is_not_a_boolean() {
        let (diagnostic, _) =
            error("id: x\ntitle: T\nsteps:\n  - id: a\n    check: { http: { url: u, follow_redirects: yes } }\n");
        assert_eq!(diagnostic.code, Code::InvalidValue);
        assert_eq!(diagnostic.message, "invalid boolean");
    }

    #[test]
    fn empty_and_comment_only_files_are_empty() {
        for text in ["", "\n\n", "# nothing\n---\n"] {
            assert_eq!(error(text).0.code, Code::EmptyFile, "{text:?}");
        }
    }

    #[test]
    fn test_file_diagnostics_point_to_the_testing_page() {
        let test_error = |text: &str| load_test_file(&Source::new("t.test.yaml", text)).unwrap_err();
        let missing = test_error("cases:\n  - expect: { status: resolved }\n");
        assert_eq!(missing.code, Code::MissingField);
        assert_eq!(missing.help.as_deref(), Some("add `name`; see docs/testing.md for what it holds"));
        let wrong = test_error("cases:\n  - name: a\n    observations: [1]\n");
        assert_eq!(wrong.code, Code::InvalidValue);
        assert!(wrong.help.as_deref().is_some_and(|help| help.contains("docs/testing.md")), "{wrong:?}");
        let list = test_error("- name: a\n");
        assert_eq!(list.message, "a test file must be a mapping");
        let unknown = test_error("cases:\n  - name: a\n    expcet: {}\n");
        assert_eq!(unknown.code, Code::UnknownField);
        // The same mistakes in a runbook still point to the DSL's page.
        assert_eq!(
            error("id: x\ntitle: T\nsteps:\n  - title: a\n").0.help.as_deref(),
            Some("add `id`; see docs/dsl.md for what it holds")
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let (source, diagnostic) = decode("t.yaml", b"id: x\ntitle: \xff\n");
        let diagnostic = diagnostic.unwrap();
        assert_eq!(diagnostic.code, Code::NotUtf8);
        assert_eq!(source.line_col(diagnostic.span.start), (2, 8));
    }
}
