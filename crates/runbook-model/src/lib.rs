//! The runbook language: the first three stages of the pipeline
//! (**load** → **analyse** → **plan** → interpret → journal → record).
//!
//! [`load`] turns YAML text into a typed [`Runbook`] whose nodes remember
//! their source [`Span`]s, or into located [`Diagnostic`]s. [`analyse`]
//! runs the static rules behind `runbook check` on a loaded runbook.
//! [`check_file`] does both for a file and the files it calls, and
//! [`Plan::new`] turns a runbook that checked clean into the [`Plan`] the
//! engine runs. The
//! crate needs no async runtime and no network, so `runbook check` starts
//! fast. [`runbook_schema`] generates the JSON Schema editors complete from.

#![forbid(unsafe_code)]

mod analyse;
mod ca_files;
mod called_plan;
mod calls;
mod capture;
mod check;
mod code;
mod comparison;
mod constant_truth;
mod diagnostic;
mod dotted_version;
mod duration;
mod expectation;
mod expression;
mod flow;
mod json_query;
mod link_files;
mod load;
mod mock;
mod number_with_unit;
mod outcome;
mod pattern;
mod plan;
mod probe;
mod prose;
mod retry;
mod runbook;
mod schema;
mod secret_flow;
mod source;
mod span;
mod step;
mod step_keys;
mod step_kind;
mod step_path;
mod strict;
mod test_file;
mod transition;
mod written_as_text;

pub use analyse::{
    CHECKLIST_FACTS, ERROR_FACTS, ERROR_KINDS, TIMING_FACTS, TemplateKind, TemplateSite, analyse, analyse_source,
    analyse_test_file, known_facts, template_sites,
};
pub use ca_files::literal_ca_files;
pub use called_plan::{CalledPlan, Callees, sha256_hex};
pub use calls::{CALLEE_HAS_ERRORS, InvalidCallee, check_file, check_file_bytes};
pub use capture::{Capture, CaptureType};
pub use check::Check;
pub use code::{Code, Level};
pub use comparison::{
    COMPARISON_TESTS, Comparator, Comparison, Guards, Operand, OperandForm, comparisons, guard_comparisons,
    guard_condition, guard_template, guard_when, template_comparisons,
};
pub use constant_truth::{ConstantTruth, constant_truths, template_constant_truths};
pub use diagnostic::{Diagnostic, did_you_mean};
pub use dotted_version::{reads_as_version, version_parts};
pub use duration::Duration;
pub use expectation::{Expectation, ExpectationSeverity, Expected, Subject};
pub use expression::{GUARDS, PrintedBlock, printed_blocks, whole_expression};
pub use flow::{Destination, Edge, EdgeKind, Flow, Trigger};
pub use json_query::JsonQuery;
pub use link_files::relative_links;
pub use load::{Checked, MAX_FILE_BYTES, check_bytes, decode, load, load_test_file};
pub use mock::{
    CertificateMock, CmdMock, HttpMock, MockConclusion, MockError, MockErrorKind, MockSpec, MockedObservation,
    StepMock, TcpMock, TimingMock,
};
pub use number_with_unit::reads_as_number_with_unit;
pub use outcome::Outcome;
pub use pattern::{Pattern, captured_group, compile_regex};
pub use plan::{Plan, ProbeEntry, Probes, Probing};
pub use probe::*;
pub use prose::{Prose, Words};
pub use retry::Retry;
pub use runbook::{DEFAULT_MAX_VISITS, Input, InputType, Link, Runbook, Version};
pub use schema::{
    RUNBOOK_SCHEMA_ID, TEST_SCHEMA_ID, runbook_schema, runbook_schema_text, test_schema, test_schema_text,
};
pub use secret_flow::{CREDENTIAL_WORDS, SecretFlow, SentField, names_credential, written_reads};
pub use source::Source;
pub use span::{Span, Spanned};
pub use step::Step;
pub use step_keys::{call_keys, can_produce, possible_keys, producible_keys};
pub use step_kind::*;
pub use step_path::StepPath;
pub use test_file::{Case, CaseExpectations, EndStatus, TestFile};
pub use transition::{Branch, Target};
