//! The runbook interpreter: the later stages of the pipeline
//! (load → analyse → plan → **interpret → events → journal → record**).
//!
//! It walks a [`runbook_model::Plan`], runs its probes, asks the operator
//! through an interface, and reports everything it does as a stream of
//! typed events; the journal and the record are folds over that stream.
//! The public modules are what the CLI and tests use; the template facts,
//! probe preparation, captures and redaction stay inside.

#![forbid(unsafe_code)]

mod capture;
mod checked_compare;
pub mod clock;
mod compiled_arguments;
pub mod diagram;
pub mod event;
mod expect;
mod facts;
pub mod inputs;
pub mod interpret;
mod judge;
mod lazy_json;
mod missing_name;
mod no_answer;
mod number_filters;
pub mod operator;
mod ordering_filters;
mod prepare;
pub mod printable;
pub mod probe;
pub mod record;
mod redact;
mod regular_file;
pub mod scenario;
mod sent_value;
mod shell_values;
pub mod step_facts;
mod template;
mod text_items;
mod timestamp;
mod url_values;

pub use expect::ExpectationResult;
pub use judge::worst;
pub use redact::{Fingerprint, LearnedSecret, Redactor, RestoreError};
pub use regular_file::open as open_regular_file;
pub use template::{Templates, shell_quote};
pub use timestamp::Timestamp;
