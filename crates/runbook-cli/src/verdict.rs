//! `--fail-on`: which conclusions make `runbook run` exit non-zero, so CI
//! can gate on a runbook's verdict (`--fail-on escalated,severity>=high`).

use runbook_model::{ConclusionStatus, Runbook, Severity, did_you_mean};

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

    /// The first term a conclusion with this status and severity matches,
    /// as written (`escalated`, `severity>=high`), which fails the run and
    /// is what the exit 7 says; `None` when it passes.
    pub(crate) fn matched(&self, status: ConclusionStatus, severity: Option<Severity>) -> Option<String> {
        if self.statuses.contains(&status) {
            return Some(status.name().to_owned());
        }
        let severity = severity?;
        self.severities
            .iter()
            .find(|(comparison, level)| holds(*comparison, *level, severity))
            .map(|(c, l)| term(*c, *l))
    }

    /// Warnings for the terms no conclusion of `runbook` can match (a CI
    /// gate that never fires), and for the conclusions a severity term
    /// never matches because they give no severity (all but `resolved`).
    pub(crate) fn never_matching(&self, runbook: &Runbook) -> Vec<String> {
        let conclusions: Vec<(&str, ConclusionStatus, Option<Severity>)> = runbook
            .steps
            .iter()
            .filter_map(|step| {
                let conclusion = step.conclude.as_ref()?;
                Some((step.id.as_str(), conclusion.status.value, conclusion.severity.as_ref().map(|s| s.value)))
            })
            .collect();
        let mut warnings = Vec::new();
        for status in &self.statuses {
            if !conclusions.iter().any(|(_, concluded, _)| concluded == status) {
                warnings.push(format!(
                    "`--fail-on {}` can never match: no conclusion of `{}` is `{}`",
                    status.name(),
                    runbook.id.value,
                    status.name()
                ));
            }
        }
        for (comparison, level) in &self.severities {
            let written = term(*comparison, *level);
            if !conclusions.iter().any(|(_, _, severity)| severity.is_some_and(|s| holds(*comparison, *level, s))) {
                warnings.push(format!(
                    "`--fail-on {written}` can never match: no conclusion of `{}` has such a severity",
                    runbook.id.value
                ));
            }
            let without: Vec<String> = conclusions
                .iter()
                .filter(|(_, status, severity)| severity.is_none() && *status != ConclusionStatus::Resolved)
                .filter(|(_, status, _)| !self.statuses.contains(status))
                .map(|(id, _, _)| format!("`{id}`"))
                .collect();
            if !without.is_empty() {
                warnings.push(format!(
                    "`--fail-on {written}` never matches a conclusion without a severity: {} (give each a `severity:`)",
                    without.join(", ")
                ));
            }
        }
        warnings
    }
}

fn holds(comparison: Comparison, level: Severity, severity: Severity) -> bool {
    match comparison {
        Comparison::AtLeast => severity >= level,
        Comparison::Exactly => severity == level,
    }
}

/// A severity term as written: `severity>=high`.
fn term(comparison: Comparison, level: Severity) -> String {
    let operator = if comparison == Comparison::AtLeast { ">=" } else { "=" };
    format!("severity{operator}{}", level.name())
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
        assert!(fail_on.matched(ConclusionStatus::Escalated, None).is_some());
        assert!(fail_on.matched(ConclusionStatus::Inconclusive, Some(Severity::Info)).is_some());
        assert!(fail_on.matched(ConclusionStatus::Diagnosed, Some(Severity::Critical)).is_some());
        assert!(fail_on.matched(ConclusionStatus::Diagnosed, Some(Severity::High)).is_some());
        assert!(fail_on.matched(ConclusionStatus::Diagnosed, Some(Severity::Medium)).is_none());
        assert!(fail_on.matched(ConclusionStatus::Resolved, None).is_none());
        let exactly = parse(&["severity=low"]).unwrap();
        assert!(exactly.matched(ConclusionStatus::Resolved, Some(Severity::Low)).is_some());
        assert!(exactly.matched(ConclusionStatus::Resolved, Some(Severity::High)).is_none());
        assert!(FailOn::default().matched(ConclusionStatus::Escalated, Some(Severity::Critical)).is_none());
        assert_eq!(
            fail_on.matched(ConclusionStatus::Diagnosed, Some(Severity::Critical)),
            Some("severity>=high".into())
        );
        assert_eq!(exactly.matched(ConclusionStatus::Resolved, Some(Severity::Low)), Some("severity=low".into()));
    }

    #[test]
    fn terms_no_conclusion_can_match_are_named() {
        let yaml = "id: gate\ntitle: T\nsteps:\n  - id: a\n    instruct: { text: x }\n  - id: bad\n    conclude: \
                    { status: diagnosed, severity: high }\n  - id: vague\n    conclude: { status: diagnosed }\n  - id: ok\n    \
                    conclude: { status: resolved }\n";
        let runbook = runbook_model::load(&runbook_model::Source::new("gate.yaml", yaml)).expect("loads");
        let warnings = parse(&["escalated,severity>=critical"]).unwrap().never_matching(&runbook);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("`--fail-on escalated` can never match: no conclusion of `gate` is `escalated`"));
        assert!(warnings[1].contains("`--fail-on severity>=critical` can never match"));
        assert!(warnings[2].contains("never matches a conclusion without a severity: `vague`"), "{warnings:?}");
        assert!(parse(&["diagnosed,severity>=high"]).unwrap().never_matching(&runbook).is_empty());
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
