//! The run's id in `runbook`'s own environment, set once before the run
//! starts, so that every command inherits it (`RUNBOOK_RUN_ID`) without a
//! copy of the environment per command.
//!
//! A command given a variable of its own makes std copy the whole
//! environment into a new one at each spawn (about 60,000 instructions,
//! a fifth of a `cmd` step's own work). The engine gives a command the id
//! itself only when this process's environment does not hold it already
//! (`runbook_engine::probe::mark_commands_of`).

use runbook_engine::probe::RUN_ID_VARIABLE;

/// Puts `run_id` in this process's environment if no other thread exists
/// yet (the runtime, the journal's sync thread and the signal watcher are
/// started later); otherwise leaves the environment alone and the engine
/// gives each command the id itself. Returns whether it was set.
pub(crate) fn carry_run_id(run_id: &str) -> bool {
    if !single_threaded() {
        return false;
    }
    // SAFETY: `set_var` is unsound only while another thread reads or
    // writes the environment. This process has exactly one thread (checked
    // just above in /proc, and only this thread can start another), so no
    // other thread exists to do so during the call.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(RUN_ID_VARIABLE, run_id);
    }
    true
}

/// Whether this process has exactly one thread, as /proc says; false
/// when /proc cannot be read.
fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_left_alone_while_another_thread_exists() {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || released.recv());
        let before = std::env::var_os(RUN_ID_VARIABLE);
        assert!(!carry_run_id("20261130T000000Z-never-set"));
        assert_eq!(std::env::var_os(RUN_ID_VARIABLE), before);
        release.send(()).unwrap();
        other.join().unwrap().unwrap();
    }
}
