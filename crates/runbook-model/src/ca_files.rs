//! `tls.ca_file` paths followed at `check` time: a literal path must name a
//! regular file where the run would read it (a relative path from the
//! current directory), or every request of the probe fails with a `tls`
//! error in the middle of an incident.
//!
//! It reads other files, like `calls`, so it sits beside the loader. A
//! warning, not an error: the run may happen on another machine, which
//! has the file.

use crate::{Check, Code, Diagnostic, HttpProbe, Runbook, Spanned};

/// The `tls.ca_file` values written without a template: the paths known
/// before the run. `check`'s findings for a runbook with any depend on
/// files other than its own.
pub fn literal_ca_files(runbook: &Runbook) -> Vec<&Spanned<String>> {
    let mut probes = Vec::new();
    for step in runbook.steps.iter() {
        if let Some(http) = step.action.as_ref().and_then(|action| action.http.as_ref()) {
            probes.push(&http.value);
        }
        if let Some(check) = step.probing() {
            http_probes(check, &mut probes);
        }
    }
    probes
        .into_iter()
        .filter_map(|http| http.tls.as_ref()?.ca_file.as_ref())
        .filter(|path| !path.contains("{{"))
        .collect()
}

fn http_probes<'a>(check: &'a Check, out: &mut Vec<&'a HttpProbe>) {
    if let Some(http) = &check.http {
        out.push(&http.value);
    }
    if let Some(probes) = &check.probes {
        for member in probes.values() {
            http_probes(member, out);
        }
    }
}

/// RB215 for each literal `tls.ca_file` that names no regular file here.
/// Only the file's metadata is read: a FIFO is reported, never opened.
pub(crate) fn missing_ca_files(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for path in literal_ca_files(runbook) {
        let problem = match std::fs::metadata(&path.value) {
            Ok(metadata) if metadata.is_file() => continue,
            Ok(metadata) if metadata.is_dir() => "is a directory".to_owned(),
            Ok(_) => "is not a regular file".to_owned(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => "does not exist".to_owned(),
            Err(error) => format!("cannot be read: {error}"),
        };
        let from = if std::path::Path::new(&path.value).is_relative() {
            " here (a relative path is read from the directory the run starts in)"
        } else {
            ""
        };
        out.push(
            Diagnostic::new(Code::CaFile, path.span, format!("CA file `{}` {problem}{from}", path.value))
                .with_label("every request of this probe would fail with a `tls` error")
                .with_help(
                    "give the path of the PEM file holding the certificate of the authority that signed the \
                     server's certificate",
                ),
        );
    }
    out
}
