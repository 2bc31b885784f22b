//! End-to-end tests of the `runbook` binary: every test runs the built
//! executable as a user would and checks its exit status and output.

mod architecture;
mod authoring;
mod check;
mod corpus;
mod examples;
mod explain;
mod full_disk;
mod hostile;
mod hostile_output;
#[path = "../support/http_server.rs"]
mod http_server;
mod interactive;
mod journal;
mod no_answer;
mod proxy;
mod record;
mod record_files;
mod run;
mod runbook_test;
mod runbook_test_strict;
mod schema;
mod secret_forms;
mod secrets;
mod secrets_live;
mod secrets_resume;
mod seeds;
#[path = "../support/services.rs"]
mod services;
mod shell_values;
mod test;
mod values;

pub use test::{Output, Scratch, Test, sha256_hex, valid_record, workspace};
