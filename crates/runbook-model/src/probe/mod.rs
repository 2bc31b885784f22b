//! The probe kinds: what a check observes and how. Each kind is one module
//! (`http`, `cmd`, `tcp`, `env`) holding its YAML type and what `check`
//! knows of it: the subjects its expectations read, the sources its
//! captures read, the facts `steps.ID` holds, its templated fields and its
//! own shape rules. This module is the one registration: the kinds' enums,
//! and each `match` that hands a question to the kind's module.

mod cmd;
mod env;
mod http;
mod tcp;

pub use cmd::CmdProbe;
pub use env::EnvProbe;
pub use http::{CertificateFact, HttpProbe, Method, TimingPhase, Tls};
pub use tcp::{Port, TcpProbe};

use crate::analyse::TemplateKind;
use crate::{Diagnostic, Expectation, Span, Spanned, Subject};

/// A fact `steps.ID` holds of a probe's observation, with its type: a kind
/// cannot list a fact without saying what a comparison reads in it (RB311).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    /// Its name: `steps.ID.<name>`, `result.<name>`.
    pub name: &'static str,
    /// What it holds.
    pub holds: FactType,
}

/// What a fact holds, as `check` compares it (RB311).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    /// A number (or nothing, when absent: a status when no answer came).
    Number,
    /// Text (or nothing).
    Text,
    /// `true` or `false`.
    Bool,
    /// A list, an object or a parsed document: no type a comparison checks.
    Structured,
}

impl Fact {
    const fn new(name: &'static str, holds: FactType) -> Self {
        Self { name, holds }
    }
}

/// A text field that is a template, as the template rules list it.
fn template(text: &Spanned<String>) -> (&str, Span, TemplateKind) {
    (text.value.as_str(), text.span, TemplateKind::Template)
}

/// The kind of a probe, named as its key in YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    /// `http`
    Http,
    /// `cmd`
    Cmd,
    /// `tcp`
    Tcp,
    /// `env`
    Env,
}

impl ProbeKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [Self; 4] = [Self::Http, Self::Cmd, Self::Tcp, Self::Env];

    /// The YAML key.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Cmd => "cmd",
            Self::Tcp => "tcp",
            Self::Env => "env",
        }
    }

    /// The subjects its expectations may read; `None` for a kind that
    /// takes no expectations (its own rule says so).
    pub const fn subjects(self) -> Option<&'static [Subject]> {
        match self {
            Self::Http => Some(http::SUBJECTS),
            Self::Cmd => Some(cmd::SUBJECTS),
            Self::Tcp => Some(tcp::SUBJECTS),
            Self::Env => None,
        }
    }

    /// The sources its captures may read (none: nothing to capture).
    pub const fn capture_sources(self) -> &'static [&'static str] {
        match self {
            Self::Http => http::CAPTURES,
            Self::Cmd => cmd::CAPTURES,
            Self::Tcp | Self::Env => &[],
        }
    }

    /// What `steps.ID` holds of its observation, besides `duration` and
    /// `error`, with what each holds.
    pub const fn facts(self) -> &'static [Fact] {
        match self {
            Self::Http => http::FACTS,
            Self::Cmd => cmd::FACTS,
            Self::Tcp => tcp::FACTS,
            Self::Env => env::FACTS,
        }
    }

    /// Whether a probe of this kind may end without an answer (a timeout,
    /// a command that could not start): RB324 asks for such a step's
    /// `error` to be routed before a `when` reads what it left. A `tcp`
    /// probe's failure is `connected: false`, and `env` always answers.
    pub const fn may_give_no_answer(self) -> bool {
        match self {
            Self::Http | Self::Cmd => true,
            Self::Tcp | Self::Env => false,
        }
    }

    /// The errors it reports for real, which a `runbook test` case may
    /// mock (RB507).
    pub const fn reported_errors(self) -> &'static [crate::MockErrorKind] {
        match self {
            Self::Http => http::ERRORS,
            Self::Cmd => cmd::ERRORS,
            Self::Tcp => tcp::ERRORS,
            Self::Env => env::ERRORS,
        }
    }

    /// Whether the probe fails by itself, with no expectation (`env`: a
    /// missing variable).
    pub const fn judges_itself(self) -> bool {
        match self {
            Self::Env => true,
            Self::Http | Self::Cmd | Self::Tcp => false,
        }
    }

    /// Whether `expect` judges the probe's failure itself, so that it is a
    /// `fail` rather than an `error` (`tcp` under `connected`).
    pub fn judges_failure(self, expect: &[Spanned<Expectation>]) -> bool {
        match self {
            Self::Tcp => tcp::judges_failure(expect),
            Self::Http | Self::Cmd | Self::Env => false,
        }
    }

    /// The kinds as a list for messages: `` `http`, `cmd`, `tcp`, `env` ``.
    pub fn listed() -> String {
        Self::ALL.iter().map(|kind| format!("`{}`", kind.name())).collect::<Vec<_>>().join(", ")
    }
}

/// One borrowed, located value per probe kind: a check's probe
/// ([`DeclaredProbe`]) or a case's mocked observation
/// (`MockedObservation`). Every place that reads one matches on it, so the
/// compiler names each place a new kind must reach.
#[derive(Debug)]
pub enum ByProbeKind<'a, H, C, T, E> {
    /// `http`
    Http(&'a Spanned<H>),
    /// `cmd`
    Cmd(&'a Spanned<C>),
    /// `tcp`
    Tcp(&'a Spanned<T>),
    /// `env`
    Env(&'a Spanned<E>),
}

impl<H, C, T, E> Clone for ByProbeKind<'_, H, C, T, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<H, C, T, E> Copy for ByProbeKind<'_, H, C, T, E> {}

impl<H, C, T, E> ByProbeKind<'_, H, C, T, E> {
    /// Its kind.
    pub const fn kind(self) -> ProbeKind {
        match self {
            Self::Http(_) => ProbeKind::Http,
            Self::Cmd(_) => ProbeKind::Cmd,
            Self::Tcp(_) => ProbeKind::Tcp,
            Self::Env(_) => ProbeKind::Env,
        }
    }

    /// Where its key is written.
    pub const fn span(self) -> Span {
        match self {
            Self::Http(value) => value.span,
            Self::Cmd(value) => value.span,
            Self::Tcp(value) => value.span,
            Self::Env(value) => value.span,
        }
    }
}

/// A probe a check or an action declares.
pub type DeclaredProbe<'a> = ByProbeKind<'a, HttpProbe, CmdProbe, TcpProbe, EnvProbe>;

impl<'a> DeclaredProbe<'a> {
    /// Its templated fields, in the order written.
    pub(crate) fn template_fields(self) -> Vec<(&'a str, Span, TemplateKind)> {
        let mut fields = Vec::new();
        match self {
            Self::Http(http) => http.template_fields(&mut fields),
            Self::Cmd(cmd) => cmd.template_fields(&mut fields),
            Self::Tcp(tcp) => tcp.template_fields(&mut fields),
            // Names of variables, not templates.
            Self::Env(_) => {}
        }
        fields
    }

    /// The rules of its kind, beyond those every probe follows; `expect`
    /// is what judges it.
    pub(crate) fn shape(self, expect: &[Spanned<Expectation>], out: &mut Vec<Diagnostic>) {
        match self {
            Self::Http(http) => http.shape(expect, out),
            Self::Cmd(cmd) => cmd.shape(cmd.span, out),
            Self::Tcp(tcp) => tcp.shape(out),
            Self::Env(env) => env.shape(env.span, expect, out),
        }
    }

    /// The probe as the plan runs it.
    pub fn planned(self) -> Probe {
        match self {
            Self::Http(http) => Probe::Http(http.value.clone()),
            Self::Cmd(cmd) => Probe::Cmd(cmd.value.clone()),
            Self::Tcp(tcp) => Probe::Tcp(tcp.value.clone()),
            Self::Env(env) => Probe::Env(env.value.clone()),
        }
    }
}

/// One probe of a plan, of exactly one kind.
#[derive(Debug, Clone)]
pub enum Probe {
    /// An HTTP request.
    Http(HttpProbe),
    /// A command.
    Cmd(CmdProbe),
    /// A TCP connection attempt.
    Tcp(TcpProbe),
    /// Environment variables that must be set.
    Env(EnvProbe),
}

impl Probe {
    /// The kind, named as its YAML key.
    pub const fn kind(&self) -> ProbeKind {
        match self {
            Self::Http(_) => ProbeKind::Http,
            Self::Cmd(_) => ProbeKind::Cmd,
            Self::Tcp(_) => ProbeKind::Tcp,
            Self::Env(_) => ProbeKind::Env,
        }
    }

    /// The templated fields it sends that may carry a credential, with the
    /// name each is sent under (see [`crate::SecretFlow`]).
    pub fn sent_fields(&self) -> Vec<crate::SentField<'_>> {
        let mut fields = Vec::new();
        match self {
            Self::Http(http) => http.sent_fields(&mut fields),
            Self::Cmd(cmd) => cmd.sent_fields(&mut fields),
            Self::Tcp(_) | Self::Env(_) => {}
        }
        fields
    }

    /// The environment variables it reads, whose values are secrets the
    /// run must redact.
    pub fn secret_variables(&self) -> Vec<&str> {
        match self {
            Self::Env(env) => env.names().collect(),
            Self::Http(_) | Self::Cmd(_) | Self::Tcp(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check` types `steps.ID.<fact>` by name (RB311), whatever the step's
    /// kind: two kinds naming one fact must agree on what it holds.
    #[test]
    fn a_fact_two_kinds_name_holds_the_same_type_in_both() {
        let facts: Vec<Fact> = ProbeKind::ALL.iter().flat_map(|kind| kind.facts()).copied().collect();
        for fact in &facts {
            let types: Vec<FactType> = facts.iter().filter(|f| f.name == fact.name).map(|f| f.holds).collect();
            assert!(types.iter().all(|holds| *holds == fact.holds), "`{}` holds {types:?}", fact.name);
        }
    }

    #[test]
    fn all_lists_every_kind_in_the_order_declared() {
        let schema = serde_json::to_value(schemars::schema_for!(ProbeKind)).expect("a schema is JSON");
        let declared: Vec<&str> = schema["oneOf"]
            .as_array()
            .expect("a kind is one of its names")
            .iter()
            .filter_map(|kind| kind["const"].as_str())
            .collect();
        let all: Vec<&str> = ProbeKind::ALL.iter().map(|kind| kind.name()).collect();
        assert_eq!(declared, all, "`ProbeKind::ALL` lists each variant of `ProbeKind`, in order");
    }
}
