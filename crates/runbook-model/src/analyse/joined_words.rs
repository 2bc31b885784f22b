//! RB413: `{{ list | join(' ') }}` in `sh:`. The author means one argument
//! per item (`ping -c1 {{ vars.hosts | join(' ') }}`), but the joined text
//! is one value, and every value in `sh:` is quoted as one word: `ping`
//! gets `'api-1 api-2'`, a single host that does not exist. `| words`
//! quotes each item as its own word.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic};

/// A `{{ … }}` block joining with a separator made only of white space.
static JOINED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{\{[^}]*?\|\s*join\s*\(\s*(?:'(?:\s|\\[nt])+'|"(?:\s|\\[nt])+")\s*\)[^}]*\}\}"#)
        .expect("valid regex")
});

/// Reports each `| join(' ')` of a `sh:` template, at its block.
pub(super) fn check(source: Option<&str>, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Shell) {
        for block in JOINED.find_iter(site.text) {
            let block = block.as_str();
            let fixed = block
                .find("| join")
                .or_else(|| block.find("|join"))
                .and_then(|start| block[start..].find(')').map(|end| (start, start + end + 1)))
                .map_or_else(
                    || "{{ … | words }}".to_owned(),
                    |(start, end)| format!("{}| words{}", &block[..start], &block[end..]),
                );
            out.push(
                Diagnostic::new(
                    Code::JoinedWords,
                    super::shell_quotes::locate(source, site.span, block),
                    format!("`{block}` is one word in `sh:`: the joined items are quoted together, as one argument"),
                )
                .with_label("one argument, not one per item")
                .with_help(format!(
                    "write `{fixed}` to pass each item as its own quoted word; keep `| join` for a program that \
                     takes the items in one argument (`--hosts {{{{ … | join(',') }}}}`)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse_source, load};

    fn reported(sh: &str) -> Vec<String> {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  hosts: {{ type: list, default: [a, b] }}\nsteps:\n  - id: a\n    collect: \
             {{ cmd: {{ sh: {sh:?} }} }}\n    next: end\n  - id: end\n    conclude: {{ status: inconclusive }}\n"
        );
        let source = Source::new("t.yaml", yaml.clone());
        let runbook = load(&source).expect("loads");
        analyse_source(&runbook, &source)
            .iter()
            .filter(|d| d.code == Code::JoinedWords)
            .map(|d| d.help.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_list_joined_with_spaces_in_sh_is_reported_with_words_as_the_fix() {
        let help = reported("ping -c1 {{ inputs.hosts | join(' ') }}");
        assert_eq!(help.len(), 1);
        assert!(help[0].starts_with("write `{{ inputs.hosts | words }}`"), "{}", help[0]);
        assert_eq!(reported("echo {{ inputs.hosts|join(\"\\n\") }}").len(), 1);
        assert!(reported("curl --hosts {{ inputs.hosts | join(',') }}").is_empty());
        assert!(reported("ping -c1 {{ inputs.hosts | words }}").is_empty());
    }
}
