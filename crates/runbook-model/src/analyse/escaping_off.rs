//! RB410: `{% autoescape false %}` (or any `{% autoescape %}` block) in a
//! template. The engine's escaping is what keeps a value data where it
//! lands: shell quoting in `sh:`, the refusals and the encoding of what is
//! sent (an argument, a URL), Markdown escaping in the record's summary.
//! An `autoescape` block turns it off for every value inside, silently:
//! `sh: "{% autoescape false %}echo {{ x }}{% endautoescape %}"` runs a
//! value holding `; rm -rf /`. `| safe` is the one opt-out, one value at a
//! time, where a reader sees it.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic};

/// An `autoescape` tag.
static AUTOESCAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{%[-+]?\s*autoescape\b[^%]*%\}").expect("valid regex"));

/// Reports each `{% autoescape %}` tag of a template, at the tag.
pub(super) fn check(source: Option<&str>, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites.iter().filter(|site| site.kind != TemplateKind::Expression) {
        for tag in AUTOESCAPE.find_iter(site.text) {
            let what = if site.kind == TemplateKind::Shell { "the shell quoting of `sh:`" } else { "the escaping" };
            out.push(
                Diagnostic::new(
                    Code::EscapingTurnedOff,
                    super::shell_quotes::locate(source, site.span, tag.as_str()),
                    format!("`{}` turns off {what} for every value inside it", tag.as_str()),
                )
                .with_label("values here are no longer quoted")
                .with_help(
                    "remove the `autoescape` block; for a value you vouch for (trusted shell syntax), write \
                     `{{ value | safe }}`, which turns the quoting off for that one value",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse_source, load};

    fn reported(step: &str) -> Vec<String> {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  v: {{ default: x }}\nsteps:\n  - id: a\n{step}\n  - id: end\n    conclude: {{ status: inconclusive }}\n"
        );
        let source = Source::new("t.yaml", yaml.clone());
        let runbook = load(&source).expect("loads");
        analyse_source(&runbook, &source)
            .iter()
            .filter(|d| d.code == Code::EscapingTurnedOff)
            .map(|d| yaml[d.span.start..d.span.end].to_owned())
            .collect()
    }

    #[test]
    fn an_autoescape_block_is_reported_at_its_tag_in_any_template() {
        let shell = r#"    collect: { cmd: { sh: "{% autoescape false %}echo {{ inputs.v }}{% endautoescape %}" } }"#;
        assert_eq!(reported(shell), ["{% autoescape false %}"]);
        let url = r#"    collect: { http: { url: "http://127.0.0.1/{%- autoescape true -%}{{ inputs.v }}{% endautoescape %}" } }"#;
        assert_eq!(reported(url), ["{%- autoescape true -%}"]);
        let fine = r#"    collect: { cmd: { sh: "echo {{ inputs.v | safe }} {{ 'autoescape' }}" } }"#;
        assert!(reported(fine).is_empty());
    }
}
