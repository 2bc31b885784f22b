//! Links followed at `check` time: a literal relative `url` under `links:`
//! (the runbook's, or an instruction's) must name a file beside the
//! runbook, or every reader of the rendered document, on GitHub or in a
//! wiki, follows it to nothing in the middle of an incident.
//!
//! It reads other files' metadata, like `ca_files`, so it sits beside the
//! loader. A warning: the file may be added with the runbook later.

use std::path::Path;

use crate::{Code, Diagnostic, Runbook, Spanned};

/// The literal relative link addresses (no scheme, no template, not an
/// anchor of the document itself): the ones a file beside the runbook
/// must answer. `check`'s findings for a runbook with any depend on files
/// other than its own.
pub fn relative_links(runbook: &Runbook) -> Vec<&Spanned<String>> {
    let instructed = runbook.steps.iter().filter_map(|step| step.instruct.as_ref()).flat_map(|i| &i.links);
    runbook.links.iter().chain(instructed).map(|link| &link.url).filter(|url| is_relative(&url.value)).collect()
}

/// Whether `url` is a path relative to the runbook: not empty, no scheme
/// (`https:`, `mailto:`), no template, not `/…`, `#…` or `?…`.
fn is_relative(url: &str) -> bool {
    let url = url.trim();
    !url.is_empty()
        && !url.contains("{{")
        && !url.contains("{%")
        && !url.starts_with(['/', '#', '?'])
        && url.split(['/', '#', '?']).next().is_none_or(|first| !first.contains(':'))
}

/// RB219 for each literal relative link whose file (the address up to its
/// `#` or `?`) is not beside the runbook at `path`.
pub(crate) fn missing_link_files(path: &Path, runbook: &Runbook) -> Vec<Diagnostic> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    for url in relative_links(runbook) {
        let file = url.value.trim().split(['#', '?']).next().unwrap_or_default();
        if file.is_empty() || dir.join(file).exists() {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::LinkFile,
                url.span,
                format!("link `{}` names no file (`{file}` looked for from the runbook's directory)", url.value.trim()),
            )
            .with_label("a reader of the rendered document follows it to nothing")
            .with_help(
                "a relative link is read from the runbook's directory: link a file that is in the repository, or \
                 a whole `https://` address, or name the document in the text when it is somewhere else",
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_relative;

    #[test]
    fn only_paths_relative_to_the_runbook_are_followed() {
        for relative in ["docs/a.md", "../x.txt#part", "a.md?raw=1", "dir/"] {
            assert!(is_relative(relative), "{relative}");
        }
        for other in ["https://a/b", "mailto:a@b", "#top", "/etc/x", "{{ inputs.u }}/d", "", "?q", "c:x"] {
            assert!(!is_relative(other), "{other}");
        }
    }
}
