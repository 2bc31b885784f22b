//! Any bytes go through the whole of `runbook check`: decoding, loading,
//! analysis. Nothing may panic, and every diagnostic must point inside the
//! file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let (source, not_utf8) = runbook_model::decode("fuzz.yaml", bytes);
    let diagnostics = match not_utf8 {
        Some(diagnostic) => vec![diagnostic],
        None => match runbook_model::load(&source) {
            Ok(runbook) => runbook_model::analyse(&runbook),
            Err(diagnostic) => vec![diagnostic],
        },
    };
    for diagnostic in diagnostics {
        assert!(diagnostic.span.end <= source.text().len(), "{diagnostic:?} points past the end");
        let _ = source.line_col(diagnostic.span.start);
    }
});
