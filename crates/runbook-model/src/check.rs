//! What `check`, `collect` and `action` steps run: probes, expectations and
//! captures.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{
    Capture, CmdProbe, DeclaredProbe, EnvProbe, Expectation, HttpProbe, Method, ProbeKind, Prose, Span, Spanned,
    TcpProbe, Words,
};

/// One probe, a group of named probes (`probes:`), or one probe run for each
/// item of a list (`foreach:`), with the expectations that judge the
/// observations and the captures that keep values for later steps.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// An HTTP request.
    #[serde(default)]
    pub http: Option<Spanned<HttpProbe>>,
    /// A command, run without a shell (`argv`) or with one (`sh`).
    #[serde(default)]
    pub cmd: Option<Spanned<CmdProbe>>,
    /// A TCP connection attempt.
    #[serde(default)]
    pub tcp: Option<Spanned<TcpProbe>>,
    /// Environment variables that must be set or non-empty. Values are never
    /// shown.
    #[serde(default)]
    pub env: Option<Spanned<EnvProbe>>,
    /// Named probes run concurrently, each with its own `expect` and
    /// `capture`. The step's outcome is the worst of theirs.
    #[serde(default)]
    pub probes: Option<Spanned<IndexMap<Spanned<String>, Spanned<Check>>>>,
    /// Run the probe once per item: a list, or a template that renders to one
    /// (`"{{ inputs.services }}"`). The item is `item` (see `as`) in templates.
    #[serde(default)]
    pub foreach: Option<Spanned<serde_json::Value>>,
    /// Name of the loop variable of `foreach` (default `item`).
    #[serde(default, rename = "as")]
    pub item_name: Option<Spanned<String>>,
    /// How many probes of a `probes:` group or `foreach` run at once
    /// (default: 4 per core, at most 64).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub concurrency: Option<Spanned<u32>>,
    /// Expectations on the observations; all must hold for `pass`.
    #[serde(default)]
    pub expect: Vec<Spanned<Expectation>>,
    /// Values to keep as `vars.NAME`, kept even when the check fails.
    #[serde(default)]
    pub capture: IndexMap<Spanned<String>, Spanned<Capture>>,
}

impl Check {
    /// The probes this check declares directly, in the order of its keys. A
    /// single probe check has exactly one; a `probes:` group has none. The
    /// one place that lists `Check`'s probe keys.
    pub fn declared_probes(&self) -> Vec<DeclaredProbe<'_>> {
        // Every field named: a new key fails to compile here until it is
        // sorted into probes or not.
        let Self { http, cmd, tcp, env, probes: _, foreach: _, item_name: _, concurrency: _, expect: _, capture: _ } =
            self;
        [
            http.as_ref().map(DeclaredProbe::Http),
            cmd.as_ref().map(DeclaredProbe::Cmd),
            tcp.as_ref().map(DeclaredProbe::Tcp),
            env.as_ref().map(DeclaredProbe::Env),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The HTTP methods this check sends, its own probe's and its group's,
    /// that may change what they reach ([`Method::may_change_things`]): a
    /// `check` is read-only only when there are none.
    pub fn changing_methods(&self) -> Vec<Method> {
        let own = self.http.iter().filter_map(|http| http.method.as_ref().map(|method| method.value));
        let group =
            self.probes.iter().flat_map(|group| group.value.values()).flat_map(|member| member.changing_methods());
        own.filter(|method| method.may_change_things()).chain(group).collect()
    }

    /// The words after "Check" or "Collect" in a document: `read-only`, or
    /// the methods sent that may change things.
    pub(crate) fn reach(&self) -> String {
        let mut methods: Vec<&str> = self.changing_methods().into_iter().map(Method::name).collect();
        methods.dedup();
        match methods.as_slice() {
            [] => "read-only".to_owned(),
            methods => format!("it sends {}, which may change things", methods.join(" and ")),
        }
    }

    /// The kinds of [`Self::declared_probes`], with their spans.
    pub fn probe_kinds(&self) -> Vec<(ProbeKind, Span)> {
        self.declared_probes().into_iter().map(|probe| (probe.kind(), probe.span())).collect()
    }

    /// The kind of the single probe, if exactly one is declared.
    pub fn probe_kind(&self) -> Option<ProbeKind> {
        match self.probe_kinds().as_slice() {
            [(kind, _)] => Some(*kind),
            _ => None,
        }
    }

    /// How `runbook render` writes the probes of a `check` or `collect`
    /// step: the list of a `foreach`, each member of a group, then the
    /// probe and what judges it.
    pub(crate) fn prose(&self) -> Vec<Prose<'_>> {
        let mut prose = Vec::new();
        if let Some(foreach) = &self.foreach {
            prose.push(Prose::Paragraph(vec![
                Words::text("For each "),
                Words::Code(self.item_name()),
                Words::text(" in "),
                Words::Written(foreach.span),
                Words::text(":"),
            ]));
        }
        for (name, member) in self.probes.iter().flat_map(|group| group.value.iter()) {
            prose.push(Prose::Paragraph(vec![Words::Emphasis(name.as_str()), Words::text(":")]));
            prose.push(member.value.judged());
        }
        prose.push(self.judged());
        prose
    }

    /// Its own probes and what judges them.
    fn judged(&self) -> Prose<'_> {
        Prose::Judged {
            probes: self.declared_probes(),
            expect: &self.expect,
            capture: &self.capture,
            lead: "It passes when",
        }
    }

    /// The name of the `foreach` loop variable.
    pub fn item_name(&self) -> &str {
        self.item_name.as_ref().map_or("item", |name| name.as_str())
    }
}
