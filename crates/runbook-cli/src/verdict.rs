//! `--fail-on`: which conclusions make `runbook run` exit non-zero, so CI
//! can gate on a runbook's verdict (`--fail-on escalated,severity>=high`).

use runbook_model::{ConclusionStatus, Severity, did_you_mean};

/// The conclusions that fail the run: any listed status, or a severity at
/// or above (or exactly) a level. Empty: none do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FailOn {
    statuses: Vec<ConclusionStatus>,
    severities: Vec<(Comparison, Severity)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    AtLeast,
    Exactly,
}

impl FailOn {
    /// Parses the terms of every `--fail-on` (comma-separated): a
    /// conclusion status, `severity>=LEVEL` or `severity=LEVEL`. An empty
    /// value or term is refused: `--fail-on "$FAIL_ON"` with the variable
    /// unset must not turn the verdict off without a word.
    pub(crate) fn parse(terms: &[String]) -> Result<Self, String> {
        let mut fail_on = Self::default();
        if let Some(list) = terms.iter().find(|list| list.split(',').any(|term| term.trim().is_empty())) {
            let what = if list.trim().is_empty() { "an empty value" } else { "an empty term" };
            return Err(format!(
                "`--fail-on {}` has {what}: name a conclusion status ({}) or `severity>=LEVEL`, comma-separated",
                serde_json::Value::from(list.as_str()),
                ConclusionStatus::ALL.map(ConclusionStatus::name).join(", ")
            ));
        }
        for term in terms.iter().flat_map(|list| list.split(',')).map(str::trim) {
            if let Some(rest) = term.strip_prefix("severity") {
                let (comparison, level) = if let Some(level) = rest.strip_prefix(">=") {
                    (Comparison::AtLeast, level)
                } else if let Some(level) = rest.strip_prefix('=') {
                    (Comparison::Exactly, level)
                } else {
                    return Err(format!("`--fail-on {term}`: write `severity>=LEVEL` or `severity=LEVEL`"));
                };
                fail_on.severities.push((comparison, severity(term, level.trim())?));
            } else {
                let status = ConclusionStatus::ALL.into_iter().find(|s| s.name() == term).ok_or_else(|| {
                    let names = ConclusionStatus::ALL.map(ConclusionStatus::name);
                    let hint = did_you_mean(term, names).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
                    format!(
                        "`--fail-on {term}` is not a conclusion status{hint}: use {}, or `severity>=LEVEL`",
                        names.join(", ")
                    )
                })?;
                fail_on.statuses.push(status);
            }
        }
        Ok(fail_on)
    }

    /// Whether a conclusion with this status and severity fails the run.
    pub(crate) fn matches(&self, status: ConclusionStatus, severity: Option<Severity>) -> bool {
        self.statuses.contains(&status)
            || severity.is_some_and(|severity| {
                self.severities.iter().any(|(comparison, level)| match comparison {
                    Comparison::AtLeast => severity >= *level,
                    Comparison::Exactly => severity == *level,
                })
            })
    }
}

fn severity(term: &str, level: &str) -> Result<Severity, String> {
    Severity::ALL.into_iter().find(|s| s.name() == level).ok_or_else(|| {
        let names = Severity::ALL.map(Severity::name);
        let hint = did_you_mean(level, names).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
        format!("`--fail-on {term}`: `{level}` is not a severity{hint}: use {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(terms: &[&str]) -> Result<FailOn, String> {
        FailOn::parse(&terms.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn statuses_and_severities_match() {
        let fail_on = parse(&["escalated,severity>=high", "inconclusive"]).unwrap();
        assert!(fail_on.matches(ConclusionStatus::Escalated, None));
        assert!(fail_on.matches(ConclusionStatus::Inconclusive, Some(Severity::Info)));
        assert!(fail_on.matches(ConclusionStatus::Diagnosed, Some(Severity::Critical)));
        assert!(fail_on.matches(ConclusionStatus::Diagnosed, Some(Severity::High)));
        assert!(!fail_on.matches(ConclusionStatus::Diagnosed, Some(Severity::Medium)));
        assert!(!fail_on.matches(ConclusionStatus::Resolved, None));
        let exactly = parse(&["severity=low"]).unwrap();
        assert!(exactly.matches(ConclusionStatus::Resolved, Some(Severity::Low)));
        assert!(!exactly.matches(ConclusionStatus::Resolved, Some(Severity::High)));
        assert!(!FailOn::default().matches(ConclusionStatus::Escalated, Some(Severity::Critical)));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse(&["escalatd"]).unwrap_err().contains("did you mean `escalated`?"));
        assert!(parse(&["severity>=hgh"]).unwrap_err().contains("did you mean `high`?"));
        assert!(parse(&["severity>high"]).unwrap_err().contains("severity>=LEVEL"));
        assert!(
            parse(&[""]).unwrap_err().starts_with(r#"`--fail-on ""` has an empty value: name a conclusion status"#)
        );
        assert!(parse(&["escalated, "]).unwrap_err().contains("has an empty term"));
        assert!(parse(&["resolved", "a,,b"]).unwrap_err().contains(r#"`--fail-on "a,,b"` has an empty term"#));
    }
}
