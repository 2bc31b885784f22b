//! The signals that stop a run (SIGINT, SIGTERM, SIGHUP), caught from the
//! start so that none kills the process unrecorded, and remembered one by
//! one so that the record can say which stopped the run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// Which of SIGTERM, SIGHUP and SIGINT arrived.
pub(crate) struct Caught {
    /// One flag per signal, the most telling first (a prompt cut by
    /// SIGTERM raises SIGINT too).
    flags: [(i32, Arc<AtomicBool>); 3],
}

impl Caught {
    /// Catches the three signals from now on.
    pub(crate) fn catch() -> Arc<Self> {
        let flags = [SIGTERM, SIGHUP, SIGINT].map(|signal| {
            let flag = Arc::new(AtomicBool::new(false));
            let _ = signal_hook::flag::register(signal, Arc::clone(&flag));
            (signal, flag)
        });
        Arc::new(Self { flags })
    }

    /// The signal that stopped the run, if any arrived.
    pub(crate) fn signal(&self) -> Option<i32> {
        self.flags.iter().find(|(_, flag)| flag.load(Ordering::SeqCst)).map(|(signal, _)| *signal)
    }
}

/// Why a run stopped on `signal`, as its record says it.
pub(crate) fn stopped_by(signal: i32) -> String {
    match signal {
        SIGTERM => "stopped by SIGTERM (a service manager, a CI timeout or `kill` ended it)".to_owned(),
        SIGHUP => "stopped by SIGHUP (the terminal went away)".to_owned(),
        _ => "interrupted by the operator".to_owned(),
    }
}
