//! What an "undefined value" is: minijinja's strict mode says only that,
//! so the run's error names the missing variable (`vars.pct`) and what
//! usually leaves it unset.

use std::collections::HashSet;

use minijinja::Environment;
use minijinja::value::Value;

/// The error for a template or expression that read something undefined:
/// the names among `names` (dotted, as minijinja lists the variables a
/// template reads) that `context` does not hold, globals aside. `None`
/// when every name resolves, so minijinja's own message is kept.
pub(crate) fn explain(environment: &Environment<'_>, names: &HashSet<String>, context: &Value) -> Option<String> {
    let globals: HashSet<&str> = environment.globals().map(|(name, _)| name).collect();
    let mut names: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| !globals.contains(name.split('.').next().unwrap_or(name)))
        .collect();
    names.sort_unstable();
    let mut missing: Vec<&str> = Vec::new();
    for name in names {
        match first_missing(context, name) {
            Some(Gap::Missing(prefix)) => missing.push(prefix),
            Some(Gap::None(prefix)) => {
                return Some(format!(
                    "`{prefix}` is none, so `{name}` cannot be read; test it with `{prefix} is not none`, or give \
                     it a value"
                ));
            }
            None => {}
        }
    }
    missing.dedup();
    let first = *missing.first()?;
    let help = match first.split('.').collect::<Vec<_>>().as_slice() {
        ["vars", name] => format!(
            "no capture gave `{name}` a value (a regex that matched nothing, a JSON path that selected \
             nothing, a header that was missing, a probe that gave no answer) or its step has not run; give the capture a `default:`, or \
             write `vars.{name} | default(…)` (in a condition, test `vars.{name} is defined` first)"
        ),
        ["steps", id] => format!("step `{id}` has not run on this path; test it with `steps.{id} is defined`"),
        _ => format!("test it with `{first} is defined`, or write `{first} | default(…)`"),
    };
    let names = missing.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let verb = if missing.len() == 1 { "is" } else { "are" };
    Some(format!("{names} {verb} not set: {help}"))
}

/// Where a dotted name stops resolving.
enum Gap<'n> {
    /// This prefix is not in the context.
    Missing(&'n str),
    /// This prefix is none, and the name reads a field of it.
    None(&'n str),
}

/// The shortest prefix of the dotted `name` that `context` does not hold.
fn first_missing<'n>(context: &Value, name: &'n str) -> Option<Gap<'n>> {
    let mut value = context.clone();
    let mut end = 0;
    for part in name.split('.') {
        if end > 0 && value.is_none() {
            return Some(Gap::None(&name[..end]));
        }
        end += if end == 0 { part.len() } else { part.len() + 1 };
        value = match value.get_attr(part) {
            Ok(next) if !next.is_undefined() => next,
            _ => return Some(Gap::Missing(&name[..end])),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortest_missing_name_is_named_with_a_hint() {
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "vars": { "host": "db-1", "nested": { "a": 1 }, "off": null }, "steps": { "disk": { "status": 200 } },
        })));
        let names = |list: &[&str]| list.iter().map(|name| (*name).to_owned()).collect::<HashSet<String>>();
        let environment = Environment::new();
        let message = explain(&environment, &names(&["vars.pct", "vars.host", "range"]), &context).unwrap();
        assert!(message.starts_with("`vars.pct` is not set: no capture gave `pct` a value"), "{message}");
        let message = explain(&environment, &names(&["vars.nested.b.c", "steps.db.status"]), &context).unwrap();
        assert!(message.starts_with("`steps.db`, `vars.nested.b` are not set: step `db` has not run"), "{message}");
        assert_eq!(explain(&environment, &names(&["vars.host", "steps.disk.status", "vars.off"]), &context), None);
        let message = explain(&environment, &names(&["vars.off.field"]), &context).unwrap();
        assert!(message.starts_with("`vars.off` is none, so `vars.off.field` cannot be read"), "{message}");
    }
}
