//! A text that YAML cut at ` #`. In an unquoted (plain) scalar, a `#` after
//! a space starts a comment, so `text: Post in #incidents that you are
//! restarting` is the text "Post in". That is YAML's rule, and the loss is
//! silent: the operator reads half an instruction.

use crate::{Code, Diagnostic, Runbook, Span, Spanned};

pub(crate) fn check(runbook: &Runbook, source: Option<&str>, out: &mut Vec<Diagnostic>) {
    let Some(source) = source else { return };
    for (field, text) in sentences(runbook) {
        if let Some(comment) = trailing_comment(source, text.span) {
            out.push(
                Diagnostic::new(
                    Code::CommentCutsText,
                    comment,
                    format!("`{field}` ends before ` #`: YAML reads the rest of the line as a comment"),
                )
                .with_label(format!("not part of the `{field}`, which is \"{}\"", text.value.trim()))
                .with_help(format!(
                    "quote the whole text to keep the `#` (`{field}: \"… #…\"`), or put a comment on a line of its own"
                )),
            );
        }
    }
}

/// The sentences a person reads, by their key: the runbook's `title`, each
/// `instruct` step's `text`, `question`, `confirm`, and a conclusion's
/// `diagnosis`, `remediation` and escalation `message`.
pub(super) fn sentences(runbook: &Runbook) -> Vec<(&'static str, &Spanned<String>)> {
    let mut texts: Vec<(&str, &Spanned<String>)> = vec![("title", &runbook.title)];
    for step in runbook.steps.iter() {
        texts.extend(step.instruct.as_ref().map(|instruct| ("text", &instruct.text)));
        texts.extend(step.ask.as_ref().map(|ask| ("question", &ask.question)));
        texts.extend(step.action.as_ref().and_then(|action| action.confirm.as_ref()).map(|text| ("confirm", text)));
        if let Some(conclusion) = &step.conclude {
            texts.extend(conclusion.diagnosis.as_ref().map(|text| ("diagnosis", text)));
            texts.extend(conclusion.remediation.as_ref().map(|text| ("remediation", text)));
            texts.extend(conclusion.escalation.as_ref().and_then(|e| e.message.as_ref()).map(|text| ("message", text)));
        }
    }
    texts
}

/// The comment after the plain scalar written at `span`, up to the end of
/// its line; `None` for a quoted or block scalar, whose `#` is text.
fn trailing_comment(source: &str, span: Span) -> Option<Span> {
    let written = source.get(span.start..span.end)?;
    if written.is_empty() || written.starts_with(['"', '\'', '|', '>']) {
        return None;
    }
    let rest = source.get(span.end..)?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let hash = line.find('#')?;
    let before = &line[..hash];
    (!before.is_empty() && before.chars().all(|c| c == ' ' || c == '\t'))
        .then(|| Span::new(span.end + hash, line[hash..].trim_end().len()))
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse_source, load};

    fn cut(step: &str) -> Vec<String> {
        let yaml = format!("id: t\ntitle: T\nsteps:\n{step}  - id: end\n    conclude: {{ status: resolved }}\n");
        let source = Source::new("t.yaml", yaml);
        let runbook = load(&source).expect("loads");
        analyse_source(&runbook, &source)
            .into_iter()
            .filter(|d| d.code == Code::CommentCutsText)
            .map(|d| source.text()[d.span.start..d.span.end].to_owned())
            .collect()
    }

    #[test]
    fn a_comment_after_a_plain_text_is_reported() {
        let plain = "  - id: tell\n    instruct:\n      text: Post in #incidents that you restart\n";
        assert_eq!(cut(plain), ["#incidents that you restart"]);
        let question = "  - id: q\n    ask:\n      question: Is it up?   # ask the owner\n      type: confirm\n";
        assert_eq!(cut(question), ["# ask the owner"]);
        let conclusion =
            "  - id: c\n    conclude:\n      status: diagnosed\n      diagnosis: Disk full on\n        the node #3\n";
        assert_eq!(cut(conclusion), ["#3"]);
    }

    #[test]
    fn quoted_block_and_inner_hashes_are_text() {
        for step in [
            "  - id: tell\n    instruct:\n      text: \"Post in #incidents\"   # a comment\n",
            "  - id: tell\n    instruct:\n      text: 'Post in #incidents'\n",
            "  - id: tell\n    instruct:\n      text: |\n        Post in #incidents\n",
            "  - id: tell\n    instruct:\n      text: Issue#42 is open\n",
            "  - id: tell\n    instruct:\n      text: Look at the queue\n      # a comment on its own line\n",
        ] {
            assert!(cut(step).is_empty(), "{step}");
        }
    }
}
