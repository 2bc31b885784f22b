//! The runbook interpreter: the later stages of the pipeline
//! (load → analyse → **plan → interpret → journal → record**).
//!
//! It walks a runbook loaded and checked by [`runbook_model`], runs its
//! probes, asks the operator through an interface, and reports everything
//! it does as a stream of typed events.

pub mod capture;
mod checked_compare;
pub mod clock;
pub mod event;
pub mod expect;
pub mod facts;
pub mod inputs;
pub mod interpret;
mod json_path;
pub mod judge;
mod missing_name;
pub mod operator;
pub mod prepare;
pub mod printable;
pub mod probe;
pub mod record;
pub mod redact;
pub mod scenario;
pub mod template;
