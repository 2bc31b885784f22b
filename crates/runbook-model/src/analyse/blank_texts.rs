//! A text a person reads that says nothing: `title: " "`, `text: ""`, a
//! link with an empty `url`. YAML and the types accept them, so the key is
//! there and the rule "required" is met, but the operator reads an empty
//! heading, an empty instruction or a link to nowhere.

use crate::{Code, Diagnostic, Runbook, Spanned};

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    // A blank `confirm` is no confirmation at all: RB401 says so.
    let mut texts = super::cut_texts::sentences(runbook);
    texts.retain(|(field, _)| *field != "confirm");
    let steps = runbook.steps.iter();
    texts.extend(steps.clone().filter_map(|step| step.title.as_ref()).map(|title| ("title", title)));
    let instructed = steps.filter_map(|step| step.instruct.as_ref()).flat_map(|instruct| &instruct.links);
    for link in runbook.links.iter().chain(instructed) {
        texts.extend([("title", &link.title), ("url", &link.url)]);
    }
    for (field, text) in texts {
        if text.value.chars().all(invisible) {
            out.push(blank(field, text));
        }
    }
}

/// A character that shows nothing: white space, a control, a format
/// character (zero-width space, joiners, the BOM, bidi marks), and the
/// fillers fonts draw blank (Hangul fillers, the Braille blank).
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

fn blank(field: &str, text: &Spanned<String>) -> Diagnostic {
    let what = if text.value.is_empty() {
        "empty"
    } else if text.value.trim().is_empty() {
        "only spaces"
    } else {
        "only characters that show nothing (zero-width, controls, fillers)"
    };
    let help = match field {
        "url" => {
            "give the address the link points to (`https://…`, or a path relative to the runbook), or remove the link"
        }
        "diagnosis" | "remediation" | "message" => "write what the operator should read here, or remove the key",
        _ => "write what the operator should read here",
    };
    Diagnostic::new(Code::BlankText, text.span, format!("`{field}` is blank: the operator would read nothing"))
        .with_label(what)
        .with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse_source, load};

    fn blank(yaml: &str) -> Vec<String> {
        let source = Source::new("t.yaml", yaml.to_owned());
        let runbook = load(&source).expect("loads");
        analyse_source(&runbook, &source)
            .into_iter()
            .filter(|d| d.code == Code::BlankText)
            .map(|d| format!("{} {:?}", d.message, &source.text()[d.span.start..d.span.end]))
            .collect()
    }

    #[test]
    fn blank_titles_texts_and_links_are_errors_at_the_value() {
        let yaml = "id: t\ntitle: \" \"\nlinks: [ { title: Docs, url: \"\" } ]\nsteps:\n  - id: s\n    title: ''\n    \
                    instruct: { text: \"   \", links: [ { title: \"\", url: x.md } ] }\n  - id: d\n    conclude: { status: \
                    resolved, diagnosis: \"\" }\n";
        assert_eq!(
            blank(yaml),
            [
                "`title` is blank: the operator would read nothing \"\\\" \\\"\"",
                "`url` is blank: the operator would read nothing \"\\\"\\\"\"",
                "`title` is blank: the operator would read nothing \"''\"",
                "`text` is blank: the operator would read nothing \"\\\"   \\\"\"",
                "`title` is blank: the operator would read nothing \"\\\"\\\"\"",
                "`diagnosis` is blank: the operator would read nothing \"\\\"\\\"\"",
            ]
        );
    }

    #[test]
    fn text_of_invisible_characters_is_blank() {
        let yaml = "id: t\ntitle: \"\\u200b\\u200b\"\nsteps:\n  - id: s\n    title: \"\\ufeff\\u2060\"\n    instruct: { text: \
                    \"\\u3164 \\u2800\" }\n  - id: d\n    conclude: { status: resolved, diagnosis: \"\\x01\\x02\" }\n";
        let found = blank(yaml);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().all(|line| line.starts_with('`') && line.contains("is blank")), "{found:?}");
    }

    #[test]
    fn a_text_with_words_or_a_template_is_not_blank() {
        let yaml = "id: t\ntitle: T\nlinks: [ { title: Docs, url: \"{{ inputs.u }}\" } ]\ninputs:\n  u: { default: x }\nsteps:\n  \
                    - id: s\n    instruct: { text: \"{{ inputs.u }}\" }\n  - id: d\n    conclude: { status: resolved }\n";
        assert_eq!(blank(yaml), Vec::<String>::new());
    }
}
