//! The stable diagnostic codes: one per mistake `runbook check` reports.

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Reported; fails `check` only with `--deny-warnings`.
    Warning,
    /// Fails `check`; the runbook cannot run.
    Error,
}

impl Level {
    /// `error` or `warning`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $name:literal, $level:ident, $summary:literal;)*) => {
        /// A stable diagnostic code. Codes never change meaning; retired ones
        /// are not reused. Ranges: RB0xx reading the file, RB1xx shape,
        /// RB2xx references and flow, RB3xx expressions, RB4xx safety, RB5xx
        /// runbook test files.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `RB201`.
            pub const fn code(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The short rule name, e.g. `unknown-step`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The level findings of this code have.
            pub const fn level(self) -> Level {
                match self { $(Code::$variant => Level::$level,)* }
            }

            /// One sentence saying what the rule finds.
            pub const fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    YamlSyntax = "RB001", "yaml-syntax", Error, "The file is not valid YAML, or not a mapping at the top.";
    NotUtf8 = "RB002", "not-utf8", Error, "The file is not UTF-8 text.";
    YamlBudget = "RB003", "yaml-budget", Error, "The file exceeds a safety limit: alias expansions, nesting depth or size.";
    EmptyFile = "RB004", "empty-file", Error, "The file holds no runbook.";
    UnknownField = "RB101", "unknown-field", Error, "A key that this place of the runbook does not have.";
    InvalidValue = "RB102", "invalid-value", Error, "A value of the wrong type or out of range.";
    MissingField = "RB103", "missing-field", Error, "A required key is missing.";
    DuplicateKey = "RB104", "duplicate-key", Error, "The same key twice in one mapping, or the same capture name in two probes of one group; one value would silently be lost.";
    StepKind = "RB105", "step-kind", Error, "A step must have exactly one kind: check, collect, ask, instruct, action, call or conclude.";
    ProbeShape = "RB106", "probe-shape", Error, "A check must run exactly one probe, a `probes:` group, or a probe with `foreach`.";
    ExpectationShape = "RB107", "expectation-shape", Error, "An expectation needs exactly one subject that its probe observes, and predicates that fit it.";
    CaptureShape = "RB108", "capture-shape", Error, "A capture needs exactly one source that its probe observes.";
    InvalidId = "RB109", "invalid-id", Error, "Ids are lowercase letters, digits, `-` and `_`, starting with a letter.";
    NoSteps = "RB110", "no-steps", Error, "A runbook needs at least one step.";
    CommentCutsText = "RB111", "comment-cuts-text", Warning, "An unquoted text (`text`, `question`, `diagnosis`, …) followed by ` #` on its line: YAML reads the rest as a comment and the text is cut.";
    BlankText = "RB112", "blank-text", Error, "A text a person reads (a `title`, an `instruct` step's `text`, a `question`, a conclusion's texts, a link's `title` or `url`) that is empty, only spaces or only characters that show nothing (zero-width, controls, fillers).";
    UnknownStep = "RB201", "unknown-step", Error, "A reference to a step id that no step has.";
    DuplicateStep = "RB202", "duplicate-step", Error, "Two steps share an id.";
    DuplicateAnswer = "RB203", "duplicate-answer", Error, "Two choices of one question share an answer, or a checklist repeats an item.";
    UnreachableStep = "RB204", "unreachable-step", Warning, "No path from the start leads to this step.";
    MissingConclusion = "RB205", "missing-conclusion", Warning, "A path can end without reaching a `conclude` step, so the record has no conclusion.";
    NoDefaultBranch = "RB206", "no-default-branch", Warning, "A `when` chain whose conditions may all be false, with no entry without `when`.";
    ImpossibleOutcome = "RB207", "impossible-outcome", Error, "An `on:` key that this kind of step can never produce.";
    VisitLimit = "RB208", "visit-limit", Error, "A `max_visits` or retry bound that is zero or absurdly large.";
    ConflictingFlow = "RB209", "conflicting-flow", Error, "A transition that never applies: `next` or `on` on a conclusion, a `when` after the default, an answer routed twice.";
    UnroutedOutcome = "RB210", "unrouted-outcome", Warning, "An `on:` that routes some outcomes and lets the others fall through to whatever step is below, or a check that can fail with neither `on:` nor `next:`.";
    CallTarget = "RB211", "call-target", Error, "A `call` target that cannot be read or does not check clean.";
    CallCycle = "RB212", "call-cycle", Error, "A runbook that calls itself, directly or through other runbooks.";
    CallInput = "RB213", "call-input", Error, "A `call` that gives an input the callee does not declare, or leaves out a required one.";
    UnknownCalleeVar = "RB214", "unknown-callee-var", Error, "`steps.ID.vars.NAME` of a `call` step where the called runbook never captures NAME.";
    CaFile = "RB215", "ca-file", Warning, "A literal `tls.ca_file` that names no regular file where the run would read it.";
    EmptyForeach = "RB216", "empty-foreach", Warning, "A check's `foreach` list that is or may be empty (`[]`, or an input or capture whose default is `[]`): the step then checks nothing and errs `empty_foreach`, which its `error` route should tell from a failure.";
    CalleeWarnings = "RB217", "callee-warnings", Warning, "A `call` target whose own check has warnings (an unrouted outcome, a `when` chain without a default): the caller runs along them, so they are its warnings too.";
    TimingNeverHolds = "RB218", "timing-never-holds", Warning, "A `timing:` expectation that judges the same on every run of a literal URL: a phase the request never has (`tls` over plain `http://`, `dns` for an IP address), or one longer than the probe's `timeout` or `connect_timeout`, past which it ends `error`.";
    LinkFile = "RB219", "link-file", Warning, "A literal relative link (under `links:`) that names no file beside the runbook: every reader of the rendered document follows it to nothing.";
    TemplateSyntax = "RB301", "template-syntax", Error, "A template or expression that does not parse.";
    UndefinedInput = "RB302", "undefined-input", Error, "`inputs.NAME` where no input NAME is declared.";
    UndefinedVar = "RB303", "undefined-var", Error, "`vars.NAME` where no step captures NAME.";
    UndefinedStep = "RB304", "undefined-step-ref", Error, "`steps.ID` where no step has the id ID.";
    StepNotRunYet = "RB305", "step-not-run-yet", Warning, "`steps.ID` or a var read on a path where that step may not have run yet.";
    UnknownName = "RB306", "unknown-name", Error, "A name that is not in the template context (`inputs`, `vars`, `steps`, `result`, `run`, `item`).";
    InvalidJsonPath = "RB307", "invalid-jsonpath", Error, "A JSONPath that is not valid RFC 9535.";
    InvalidRegex = "RB308", "invalid-regex", Error, "A regular expression that does not compile.";
    UnknownFilter = "RB309", "unknown-filter", Error, "A template filter (`| name`) that does not exist.";
    TypeMismatch = "RB310", "type-mismatch", Error, "An expectation value of another type than its subject observes (`status: \"200\"`), an order against text (`gt: \"100\"`), a text predicate over a number, or a call input of another type than declared.";
    ComparedTypes = "RB311", "string-number-comparison", Error, "A string compared with a number (or a boolean with either) in `when` or `stop_if`, such as a `regex` capture with a number input.";
    CaptureMayNotMatch = "RB312", "capture-may-not-match", Warning, "A `regex`, `json` or `header` capture without `default` (or a `stdout`/`body`/`status` capture where its step's `error` leads), read without a fallback in a conclusion, a question, a `when` or a `stop_if`.";
    UnknownStepFact = "RB313", "unknown-step-fact", Error, "`steps.ID.FIELD` or `result.FIELD` that the step never has (`outcom`, `checklist.compelte`, a note it does not take), or an `outcome`, `decision` or closed `answer` compared with a value it never takes.";
    DurationWithoutUnit = "RB314", "duration-without-unit", Warning, "A duration (`steps.ID.duration`, a `type: duration` capture) compared with a bare number, which counts milliseconds (`> 5` is 5 ms), or printed without `| duration`.";
    ConstantCondition = "RB315", "constant-condition", Error, "A literal whose truth a condition takes (`inputs.env == \"prod\" or \"staging\"`, `not \"x\"`), so that it branches the same way whatever the run observed.";
    SubstringOfLiteral = "RB316", "substring-of-literal", Warning, "A value looked for with `in` inside a string literal (`vars.state in \"active,activating\"`): a substring test, so an empty value or a piece of a word is in it.";
    UnorderedValue = "RB317", "unordered-value", Error, "`<`, `<=`, `>` or `>=` on a fact whose values have no order (`outcome`, `conclusion.status`, `decision`, `error.kind`, `run.mode`, a closed answer), which Jinja orders as text; severities order by rank.";
    UnknownTest = "RB318", "unknown-test", Error, "A template test (`x is name`) that does not exist, such as `vars.m is truthy`.";
    WholeOutputCompared = "RB319", "whole-output-compared", Warning, "A command's `stdout` or `stderr` compared with `==`, `!=` or a list of words written with a final newline, which the output as read never ends with (`result.stdout == \"active\\n\"`).";
    DefaultReadAsValue = "RB320", "default-read-as-value", Warning, "A capture's `default` that a `when` or `stop_if` takes for a reading: its truth (`\"unknown\"` is true) or its order (`0` is below every threshold), so \"could not read\" takes a real branch.";
    LiteralTemplate = "RB321", "literal-template", Error, "`{{ }}` or `{% %}` in a value that is not a template (an expectation's value, a capture's `default`), which the run uses as written, braces and all.";
    TextArithmetic = "RB322", "text-arithmetic", Warning, "`+` or `*` with an operand known to be text (a `regex` or `stdout` capture without `type:`, a string input), which joins or repeats it: `\"3\" + \"4\"` is `\"34\"`.";
    NegationOfMissing = "RB323", "negation-of-missing", Warning, "`ne` or `not_in` over a `json` path or a `header` that may be missing, with no entry saying whether it must be there: a missing subject makes it false, as if it held the value.";
    UnroutedNoAnswer = "RB324", "unrouted-no-answer", Warning, "A `when` reading what a probe without an answer leaves (its captures, through `| default` or `is defined` too, or its step's output) where that step's `error` reaches it unrouted: the run stops there when the probe times out or is not found.";
    LengthOfText = "RB325", "length-of-text", Warning, "`| length` (or `| count`) of a capture that gives text (a `stdout`, `stderr`, `body` or `regex` capture): it counts characters, not lines or items.";
    ActionWithoutConfirm = "RB401", "action-without-confirm", Error, "An action that changes the system without `confirm` text telling the operator what will happen.";
    InsecureTls = "RB402", "insecure-tls", Warning, "`tls.insecure: true` turns off certificate checks.";
    LiteralSecret = "RB403", "literal-secret", Warning, "A string that looks like a credential is written into the runbook.";
    SecretInShell = "RB404", "secret-in-shell", Warning, "A secret input is interpolated into an `sh:` command, where `ps`, shell tracing or an error message may show it.";
    QuotedShellTemplate = "RB405", "quoted-shell-template", Error, "Quotes or a heredoc around `{{ }}` in `sh:`, which defeat the automatic shell quoting.";
    TemplateInShellScript = "RB406", "template-in-shell-script", Error, "`{{ }}` in the script of a nested shell (`argv: [sh, -c, \"… {{ }}\"]`, `sh: \"bash -c {{ }}\"`), or another program text (`eval`, `awk`, `sed`, …), or a variable holding one expanded into such a script, where the value runs as shell code.";
    BidiControl = "RB407", "bidi-control", Warning, "A character that reorders how text is displayed (a bidirectional override, embedding, isolate or mark): what a reader sees is not what runs.";
    SelfMatchingSearch = "RB408", "self-matching-search", Warning, "`pgrep -f`, `pkill -f` or `ps … | grep` in `sh:` over a pattern that matches its own text: the `sh -c` that runs it holds the pattern, so the search always finds (or kills) that shell.";
    ChangingProbe = "RB409", "changing-probe", Warning, "An http `check` or `collect` that sends `POST`, `PUT`, `PATCH` or `DELETE`: a probe runs without a confirmation, so if the request changes things it belongs in an `action`.";
    EscapingTurnedOff = "RB410", "escaping-turned-off", Error, "A `{% autoescape %}` block in a template, which turns off the shell quoting of `sh:` (and the escaping of what is sent) for every value inside it; `| safe` is the one opt-out, one value at a time.";
    UnquotedVariable = "RB411", "unquoted-variable", Warning, "A templated `env:` value read unquoted in `sh:` (`rm -rf $D/tmp`): the shell splits and globs it, where `{{ }}` in `sh:` is one quoted word.";
    ValueInArithmetic = "RB412", "value-in-arithmetic", Warning, "A templated value that reaches shell arithmetic through a variable (an `env:` value, or an argument read as `$1`): `$(( ))`, `(( ))`, `let` and `[[ -eq ]]` evaluate it as an expression, where bash runs the `$(cmd)` of `a[$(cmd)]`.";
    JoinedWords = "RB413", "joined-words", Warning, "`{{ list | join(' ') }}` in `sh:`, which is one quoted word, not a word per item; `| words` quotes each item as its own word.";
    ValueInQuery = "RB414", "value-in-query", Warning, "A value inside the query a database or cache client runs (the SQL of `sqlite3 DB \"…\"`, `psql -c`, `mysql -e`, the script of `redis-cli EVAL`): shell quoting protects the word, not the language inside it.";
    TestUnknownStep = "RB501", "test-unknown-step", Error, "A test case names a step the runbook does not have, or one of the wrong kind.";
    TestInvalidAnswer = "RB502", "test-invalid-answer", Error, "A test case's answer is not one its question, action or `instruct` step accepts.";
    TestObservationKind = "RB503", "test-observation-kind", Error, "A mocked observation that does not fit the step: the wrong probe kind, an unknown probe name, or a step that runs no probe.";
    TestUnknownInput = "RB504", "test-unknown-input", Error, "A test file gives an input the runbook does not declare.";
    TestDuplicateCase = "RB505", "test-duplicate-case", Error, "Two cases of a test file share a name.";
    TestRunbook = "RB506", "test-runbook", Error, "The runbook a test file tests cannot be read or has errors.";
    TestImpossibleObservation = "RB507", "test-impossible-observation", Error, "A mocked observation no real run gives: an error kind the probe never reports, a certificate over plain http, a `foreach` item not in the list, or a called runbook's var, type or conclusion it never gives.";
    TestUnlikelyObservation = "RB508", "test-unlikely-observation", Warning, "A mocked output in a form real probes rarely give, judged by a predicate that depends on it: a compact `json:` body under a text predicate.";
}

impl Code {
    /// Finds a code by its `RBnnn` form or its rule name.
    pub fn find(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|code| code.code().eq_ignore_ascii_case(text) || code.name() == text)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
