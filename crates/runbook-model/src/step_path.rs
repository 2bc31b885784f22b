//! How a run names a step in its events, its journal and scripted answers:
//! the step's id, or, for a step of a runbook that a `call` step runs,
//! `call-step/inner-step` (each nested call adds one more). The one place
//! that writes that nesting and reads it back.

/// Between a `call` step's name and a step of the runbook it runs.
const SEPARATOR: char = '/';

/// A step's name in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPath<'a>(&'a str);

impl<'a> StepPath<'a> {
    /// The name as events and answers write it.
    pub const fn new(name: &'a str) -> Self {
        Self(name)
    }

    /// The name of the step `id` of the runbook that the step named
    /// `caller` runs; `None`: of the runbook the run started with.
    pub fn join(caller: Option<&str>, id: &str) -> String {
        match caller {
            Some(caller) => format!("{caller}{SEPARATOR}{id}"),
            None => id.to_owned(),
        }
    }

    /// Whether it names a step of the runbook the run started with.
    pub fn is_top_level(self) -> bool {
        !self.0.contains(SEPARATOR)
    }

    /// The `call` step whose runbook holds this step (itself inside others
    /// for nested calls), and the step's id in that runbook; `None` for a
    /// step of the runbook the run started with.
    pub fn caller_and_id(self) -> Option<(&'a str, &'a str)> {
        self.0.rsplit_once(SEPARATOR)
    }

    /// The outermost step's id (a `call` step, when the name nests), and the
    /// name of the step within the runbook it runs; `None` when the name
    /// does not nest.
    pub fn outermost(self) -> (&'a str, Option<&'a str>) {
        match self.0.split_once(SEPARATOR) {
            Some((outer, inner)) => (outer, Some(inner)),
            None => (self.0, None),
        }
    }

    /// Whether it is the step named `step`, or a step of a runbook that
    /// `step` runs, at any depth.
    pub fn is_within(self, step: &str) -> bool {
        self.0 == step || self.0.strip_prefix(step).is_some_and(|rest| rest.starts_with(SEPARATOR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_nest_and_read_back() {
        let inner = StepPath::join(Some(&StepPath::join(Some("db"), "replica")), "ping");
        assert_eq!(inner, "db/replica/ping");
        let path = StepPath::new(&inner);
        assert!(!path.is_top_level());
        assert_eq!(path.caller_and_id(), Some(("db/replica", "ping")));
        assert_eq!(path.outermost(), ("db", Some("replica/ping")));
        assert!(path.is_within("db") && path.is_within("db/replica") && path.is_within(&inner));
        assert!(!path.is_within("d") && !path.is_within("db/rep"));
        let top = StepPath::join(None, "db");
        assert!(StepPath::new(&top).is_top_level());
        assert_eq!(StepPath::new(&top).caller_and_id(), None);
        assert_eq!(StepPath::new(&top).outermost(), ("db", None));
    }
}
