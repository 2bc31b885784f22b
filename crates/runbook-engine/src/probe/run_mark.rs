//! Every command a run starts carries the run's id in its environment
//! (`RUNBOOK_RUN_ID`), so that after the run was killed (SIGKILL, a crash:
//! nothing could stop its commands) `runbook resume` can find the ones
//! still running and say so, instead of starting an action again beside
//! its first copy.

use std::ffi::OsStr;
use std::sync::{Mutex, PoisonError};

use tokio::process::Command;

/// The variable that holds the run's id in every command it starts.
pub const RUN_ID_VARIABLE: &str = "RUNBOOK_RUN_ID";

/// The run's id, for each command this process starts, when its own
/// environment does not hold it already.
static RUN_ID: Mutex<Option<String>> = Mutex::new(None);

/// Marks the commands started from now on as the run `run_id`'s. When this
/// process's environment holds the id already (the CLI puts it there before
/// the run starts), commands inherit it and get no variable of their own:
/// any variable of their own makes std copy the whole environment at each
/// spawn.
pub fn mark_commands_of(run_id: &str) {
    let own = own_mark(run_id, std::env::var_os(RUN_ID_VARIABLE).as_deref());
    *RUN_ID.lock().unwrap_or_else(PoisonError::into_inner) = own;
}

/// The id each command must be given: none when the `inherited` value is
/// the run's id already.
fn own_mark(run_id: &str, inherited: Option<&OsStr>) -> Option<String> {
    (inherited != Some(OsStr::new(run_id))).then(|| run_id.to_owned())
}

/// Gives `command` the run's id, once a run started, unless it inherits it.
pub(super) fn mark(command: &mut Command) {
    if let Some(run_id) = RUN_ID.lock().unwrap_or_else(PoisonError::into_inner).as_deref() {
        command.env(RUN_ID_VARIABLE, run_id);
    }
}

/// A process started by a run, still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// Its process id.
    pub pid: i32,
    /// Its process group: the command's, which a run stops as one.
    pub group: i32,
    /// Its command line, arguments joined by spaces.
    pub command: String,
}

/// The processes of this user still running that the run `run_id` started
/// (its commands and their children), by process id; none where `/proc`
/// cannot be read.
pub fn still_running(run_id: &str) -> Vec<Leftover> {
    let marker = format!("{RUN_ID_VARIABLE}={run_id}");
    let own = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found: Vec<Leftover> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()))
        .filter(|pid| *pid != own)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|environ| environ.split(|byte| *byte == 0).any(|entry| entry == marker.as_bytes()))
        })
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid pgrp …`: comm may hold spaces and `)`.
            let group = stat.rsplit_once(')')?.1.split_whitespace().nth(2)?.parse().ok()?;
            let command_line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let command = String::from_utf8_lossy(&command_line).trim_end_matches('\0').replace('\0', " ");
            Some(Leftover { pid: i32::try_from(pid).ok()?, group, command })
        })
        .collect();
    found.sort_by_key(|leftover| leftover.pid);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_gets_the_id_only_when_this_process_does_not_hold_it() {
        assert_eq!(own_mark("r2", Some(OsStr::new("r2"))), None, "inherited");
        // A run started by a command of another run holds the outer id.
        assert_eq!(own_mark("r2", Some(OsStr::new("r1"))).as_deref(), Some("r2"));
        assert_eq!(own_mark("r2", None).as_deref(), Some("r2"));
    }
}
