//! `| first` and `| last` as minijinja's, except over text: Jinja takes a
//! string's first or last character, so `vars.pods | first` over a
//! `stdout` capture of `pod/web-canary\npod/web-1` is `"p"`, and a branch
//! comparing it with a pod name never holds. Text is refused with the fix:
//! split it into its lines or items first. `| length` (and `| count`) of
//! text of several lines in a condition is refused too: it counts
//! characters, so two pods read as 19 (review-10-attack6 H9).

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State, UndefinedBehavior};

/// `value | first`, refusing text.
pub(crate) fn first(state: &State, value: &Value) -> Result<Value, Error> {
    refuse_text(state, "first", value)?;
    minijinja::filters::first(value)
}

/// `value | last`, refusing text.
pub(crate) fn last(state: &State, value: Value) -> Result<Value, Error> {
    refuse_text(state, "last", &value)?;
    minijinja::filters::last(value)
}

/// `value | length`, refusing text of several lines in a condition
/// (`when`, `stop_if`), where a count of lines or items is meant; a
/// template (a diagnosis) counts its characters as minijinja does.
pub(crate) fn length(state: &State, value: &Value) -> Result<Value, Error> {
    if state.name() == "<expression>"
        && let Some(text) = value.as_str().filter(|text| text.trim_end().contains('\n'))
    {
        let characters = text.chars().count();
        let lines = text.trim_end().lines().count();
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| length` of the string {} would count its {characters} characters, not its {lines} lines; for \
                 its lines, split it first: `| split('\\n') | length`, or count characters on purpose with \
                 `| list | length`",
                shown(text)
            ),
        ));
    }
    minijinja::filters::length(value).map(Value::from)
}

/// A string as a message shows it: JSON-quoted, its first 60 characters.
fn shown(text: &str) -> String {
    let shown: String = text.chars().take(60).collect();
    let more = if shown.len() < text.len() { "…" } else { "" };
    format!("{}{more}", serde_json::Value::from(shown))
}

/// An error for a string, naming the split that gives its lines (or
/// comma-separated items, or words); for an unset value under strict
/// rendering, as minijinja's own filters give.
fn refuse_text(state: &State, filter: &str, value: &Value) -> Result<(), Error> {
    if value.is_undefined() && state.undefined_behavior() == UndefinedBehavior::Strict {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    let Some(text) = value.as_str() else { return Ok(()) };
    let split = if text.contains('\n') {
        r"split('\n')"
    } else if text.contains(',') {
        "split(',')"
    } else {
        "split()"
    };
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "`| {filter}` of the string {} would take its {filter} character; for its {filter} line or item, \
             split it first: `| {split} | {filter}`",
            shown(text)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use minijinja::{Environment, UndefinedBehavior};

    fn rendered(template: &str, pods: &str) -> Result<String, String> {
        let mut environment = Environment::new();
        environment.set_undefined_behavior(UndefinedBehavior::Strict);
        environment.add_filter("first", super::first);
        environment.add_filter("last", super::last);
        environment.render_str(template, minijinja::context! { pods => pods }).map_err(|error| error.to_string())
    }

    #[test]
    fn text_is_refused_and_lists_keep_their_items() {
        let error = rendered("{{ pods | first }}", "pod/web-canary\npod/web-1").unwrap_err();
        assert!(
            error.contains(
                r#"`| first` of the string "pod/web-canary\npod/web-1" would take its first character; for its first line or item, split it first: `| split('\n') | first`"#
            ),
            "{error}"
        );
        assert!(rendered("{{ pods | last }}", "a,b").unwrap_err().contains("`| split(',') | last`"));
        assert_eq!(
            rendered(r"{{ pods | split('\n') | first }}", "pod/web-canary\npod/web-1").as_deref(),
            Ok("pod/web-canary")
        );
        assert_eq!(rendered("{{ [1, 2] | last }}", "").as_deref(), Ok("2"));
        assert!(rendered("{{ nothing | first }}", "").is_err(), "unset stays an error");
    }
}
