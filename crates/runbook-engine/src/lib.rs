//! The runbook interpreter: the later stages of the pipeline
//! (load → analyse → **plan → interpret → journal → record**).
//!
//! It walks a runbook loaded and checked by [`runbook_model`], runs its
//! probes, asks the operator through an interface, and reports everything
//! it does as a stream of typed events.

pub mod capture;
pub mod expect;
mod json_path;
pub mod probe;
pub mod template;
