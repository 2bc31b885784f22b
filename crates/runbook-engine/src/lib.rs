//! The runbook interpreter: the later stages of the pipeline
//! (load → analyse → **plan → interpret → journal → record**).
//!
//! It walks a runbook loaded and checked by [`runbook_model`], runs its
//! probes, asks the operator through an interface, and reports everything
//! it does as a stream of typed events. This crate is being built; today it
//! re-exports the model so the CLI depends on one engine surface.

pub use runbook_model as model;
