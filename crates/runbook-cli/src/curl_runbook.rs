//! A [`CurlRequest`] written as a runbook's http check, for `runbook new
//! --from-curl`: the URL's host becomes an input, credentials (in headers,
//! the query, a form or JSON body) become secret inputs read from the
//! environment, and shell variables (`$BASE_URL`) inputs read from the
//! variable they name. No credential is ever written into the runbook.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::curl::{CurlRequest, VARIABLE_CLOSE, VARIABLE_OPEN};

/// What a curl line becomes in the skeleton.
pub(crate) struct Converted {
    /// The `inputs:` entries, indented.
    pub inputs: String,
    /// The check's probe and expectations, indented.
    pub probe: String,
    /// The inputs with no default, each with the made-up value the test
    /// file gives it (cases send nothing).
    pub made_up: Vec<(String, String)>,
    /// What became an input read from the environment, for a note:
    /// "the `Authorization` header → secret input `bearer_token` from
    /// $BEARER_TOKEN".
    pub from_environment: Vec<String>,
    /// The headers left out as a browser's noise.
    pub left_out: Vec<String>,
    /// The method, when it may change what it reaches (`POST`, `PUT`,
    /// `PATCH`, `DELETE`): the request is then an action, confirmed first.
    pub changes: Option<&'static str>,
}

/// Converts the request.
pub(crate) fn convert(request: &CurlRequest) -> Converted {
    let mut draft = Draft::default();
    let (base, rest) = split_url(&request.url);
    let base_template = if let Some(variable) = only_variable(base) {
        let input = draft.variable(variable, false);
        // The test cases need a URL there, though they send nothing.
        if let Some((_, value)) = draft.made_up.iter_mut().find(|(name, _)| *name == input) {
            *value = format!("http://made-up-{}.example", input.replace('_', "-"));
        }
        format!("{{{{ inputs.{input} }}}}")
    } else if base.contains(VARIABLE_OPEN) {
        draft.template(base, false)
    } else if let Some((scheme, host)) = base.split_once("://").filter(|_| request.basic_auth.is_some()) {
        // The Basic credentials go in the URL's user info, between the
        // scheme and the host: the host alone is the input.
        draft.taken.insert("host".to_owned());
        draft.inputs.push(Declared {
            name: "host".to_owned(),
            fields: format!("description: Service host and port, default: {}", quoted(host)),
            secret: false,
            from: None,
        });
        format!("{scheme}://{{{{ inputs.host }}}}")
    } else {
        draft.taken.insert("base_url".to_owned());
        draft.inputs.push(Declared {
            name: "base_url".to_owned(),
            fields: format!("description: Service base URL, default: {}", quoted(base)),
            secret: false,
            from: None,
        });
        "{{ inputs.base_url }}".to_owned()
    };
    let mut probe = String::from("      http:\n");
    let url = format!("{}{}", draft.with_user_info(&base_template, request), draft.query(rest, "the query"));
    let _ = writeln!(probe, "        url: {}", quoted(&url));
    if let Some(method) = &request.method {
        let _ = writeln!(probe, "        method: {method}");
    }
    let (headers, left_out) = without_browser_noise(&request.headers, base);
    let content_type = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.to_ascii_lowercase())
        .unwrap_or_default();
    let json = request
        .body
        .as_ref()
        .or(request.json.as_ref())
        .filter(|_| request.json.is_some() || content_type.starts_with("application/json"))
        .and_then(|body| draft.json_value(body));
    // `json:` sends this one itself.
    let headers: Vec<_> = headers
        .into_iter()
        .filter(|(name, value)| {
            json.is_none()
                || !name.eq_ignore_ascii_case("content-type")
                || !matches!(value, Value::Written(v) if v.eq_ignore_ascii_case("application/json"))
        })
        .collect();
    if !headers.is_empty() {
        probe.push_str("        headers:\n");
        for (name, value) in &headers {
            let value = match value {
                Value::Rebased(rest) => {
                    format!("{base_template}{}", draft.query(rest, &format!("the {name} header's")))
                }
                Value::Written(value) => match draft.credential_header(name, value) {
                    Some(template) => template,
                    None => draft.template(value, is_credential_word(name)),
                },
            };
            let key =
                if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') { name.clone() } else { quoted(name) };
            let _ = writeln!(probe, "          {key}: {}", quoted(&value));
        }
    }
    if let Some(json) = json {
        let _ = writeln!(probe, "        json: {json}");
    } else if let Some(body) = request.body.as_ref().or(request.json.as_ref()) {
        let body = if content_type.starts_with("application/x-www-form-urlencoded") {
            draft.pairs(body, "the form body", true)
        } else {
            draft.template(body, false)
        };
        let _ = writeln!(probe, "        body: {}", quoted(&body));
    }
    let _ = writeln!(probe, "        timeout: {}", request.max_time.as_deref().unwrap_or("10s"));
    if let Some(connect) = &request.connect_timeout {
        let _ = writeln!(probe, "        connect_timeout: {connect}");
    }
    if !request.follow_redirects {
        probe.push_str("        follow_redirects: false   # curl without -L does not follow them\n");
    }
    if let Some(proxy) = &request.proxy {
        let _ = writeln!(probe, "        proxy: {}", quoted(&draft.template(proxy, false)));
    }
    if request.insecure {
        probe.push_str("        tls: { insecure: true }   # as curl -k: better, trust the CA with ca_file\n");
    } else if let Some(ca) = &request.ca_file {
        let _ = writeln!(probe, "        tls: {{ ca_file: {} }}", quoted(&draft.template(ca, false)));
    }
    probe.push_str("      expect:\n");
    if request.fail_on_error {
        probe.push_str("        - status: { lt: 400 }   # curl -f's rule; say 200 if that is what healthy means\n");
    } else {
        probe.push_str("        - status: 200\n");
    }
    let mut inputs = String::new();
    let mut from_environment = Vec::new();
    for Declared { name, fields, secret, from } in &draft.inputs {
        let _ = writeln!(inputs, "  {name}: {{ {fields}{} }}", if *secret { ", secret: true" } else { "" });
        if let Some((from, env)) = from {
            from_environment
                .push(format!("{from} → {}input `{name}` from ${env}", if *secret { "secret " } else { "" }));
        }
    }
    Converted {
        inputs,
        probe,
        made_up: draft.made_up,
        from_environment,
        left_out,
        changes: request
            .method
            .as_deref()
            .and_then(|method| ["POST", "PUT", "PATCH", "DELETE"].into_iter().find(|changing| *changing == method)),
    }
}

/// The inputs declared so far, each name once.
#[derive(Default)]
struct Draft {
    /// The `inputs:` entries, in order.
    inputs: Vec<Declared>,
    /// The input names taken.
    taken: HashSet<String>,
    /// The input of each shell variable declared (its place in
    /// [`Self::inputs`]), by the variable's name.
    variables: HashMap<String, usize>,
    /// See [`Converted::made_up`].
    made_up: Vec<(String, String)>,
}

/// An input of the runbook being written.
struct Declared {
    name: String,
    /// Its keys but `secret`, as YAML flow mapping entries.
    fields: String,
    /// Whether it is secret: a shell variable becomes secret when any of
    /// its uses is a credential's place, whatever the order of its uses.
    secret: bool,
    /// Where its value was, and the environment variable that gives it,
    /// for the note of what is read from the environment.
    from: Option<(String, String)>,
}

impl Draft {
    /// A free input name like `wanted`: lowercase letters, digits and `_`,
    /// `_2`, `_3`… when taken (`X-Token` and `X_Token` are two inputs).
    fn name(&mut self, wanted: &str) -> String {
        let mut base: String =
            wanted.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        if !base.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            base.insert_str(0, "input_");
        }
        let mut name = base.clone();
        for n in 2.. {
            if self.taken.insert(name.clone()) {
                break;
            }
            name = format!("{base}_{n}");
        }
        name
    }

    /// Declares a secret input read from the environment variable of its
    /// name in capitals; `from` says where its value was ("the query's
    /// `api_key`").
    fn secret(&mut self, wanted: &str, description: &str, from: &str) -> String {
        let name = self.name(wanted);
        let env = name.to_ascii_uppercase();
        self.inputs.push(Declared {
            name: name.clone(),
            fields: format!("description: {}, env: {env}", quoted(description)),
            secret: true,
            from: Some((from.to_owned(), env)),
        });
        self.made_up.push((name.clone(), format!("made-up-{}", name.replace('_', "-"))));
        name
    }

    /// The input a shell variable becomes, read from that variable: secret
    /// when it stands for a credential or its name says it is one.
    fn variable(&mut self, variable: &str, secret: bool) -> String {
        if let Some(&at) = self.variables.get(variable) {
            let declared = &mut self.inputs[at];
            declared.secret |= secret;
            return declared.name.clone();
        }
        let name = self.name(variable);
        self.variables.insert(variable.to_owned(), self.inputs.len());
        self.inputs.push(Declared {
            name: name.clone(),
            fields: format!("description: {}, env: {variable}", quoted(&format!("`${variable}` in the curl line"))),
            secret: secret || is_credential_word(variable),
            from: Some((format!("`${variable}`"), variable.to_owned())),
        });
        self.made_up.push((name.clone(), format!("made-up-{}", name.replace('_', "-"))));
        name
    }

    /// `text` as a template that sends it: braces that would open a
    /// template escaped, each shell variable the input of its name.
    fn template(&mut self, text: &str, secret: bool) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = as_written(text);
        while let Some((before, after)) = rest.split_once(VARIABLE_OPEN) {
            out.push_str(before);
            let (variable, after) = after.split_once(VARIABLE_CLOSE).unwrap_or((after, ""));
            let input = self.variable(variable, secret);
            let _ = write!(out, "{{{{ inputs.{input} }}}}");
            rest = after.to_owned();
        }
        out.push_str(&rest);
        out
    }

    /// The URL's base with curl `-u`'s user name and password as its user
    /// info, which the check sends as `Authorization: Basic`: the password
    /// a secret input (from its `$VARIABLE`, or `$PASSWORD`), never
    /// written. A base that is one input gets them by `replace`.
    fn with_user_info(&mut self, base: &str, request: &CurlRequest) -> String {
        let Some((user, password)) = &request.basic_auth else {
            return base.to_owned();
        };
        let name = self.user_name(user);
        let user = self.template(user, false);
        let input = match password.as_deref().and_then(only_variable) {
            Some(variable) => self.variable(variable, true),
            None => self.secret(
                "password",
                &format!("The password of `{user}` (curl -u), sent as Basic credentials"),
                "the password of `-u`",
            ),
        };
        // A value in the user info is encoded as user info when sent.
        if let Some((scheme, host)) = base.split_once("://") {
            let user: String = name
                .iter()
                .map(|part| match part {
                    UserPart::Text(text) => text.clone(),
                    UserPart::Input(input) => format!("{{{{ inputs.{input} }}}}"),
                })
                .collect();
            return format!("{scheme}://{user}:{{{{ inputs.{input} }}}}@{host}");
        }
        // A base URL is written as it is: the values are encoded by hand
        // (`urlencode` leaves `/`, which would end the user info).
        let mut pieces = vec![UserPart::Text("://".to_owned())];
        pieces.extend(name);
        pieces.extend([UserPart::Text(":".to_owned()), UserPart::Input(input), UserPart::Text("@".to_owned())]);
        format!(
            "{{{{ {} | replace('://', {}) }}}}",
            base.trim_start_matches("{{ ").trim_end_matches(" }}"),
            concatenated(pieces)
        )
    }

    /// curl `-u`'s user name as it lands in a URL's user info: its text
    /// percent-encoded (an `@`, `:`, `/` or space in it would end the user
    /// info and move the host), each `$VARIABLE` in it an input.
    fn user_name(&mut self, user: &str) -> Vec<UserPart> {
        let mut parts = Vec::new();
        let mut rest = user;
        while let Some((before, after)) = rest.split_once(VARIABLE_OPEN) {
            parts.push(UserPart::Text(user_info_encoded(before)));
            let (variable, after) = after.split_once(VARIABLE_CLOSE).unwrap_or((after, ""));
            parts.push(UserPart::Input(self.variable(variable, false)));
            rest = after;
        }
        parts.push(UserPart::Text(user_info_encoded(rest)));
        parts.retain(|part| !matches!(part, UserPart::Text(text) if text.is_empty()));
        parts
    }

    /// A URL's path, query and fragment as a template, with each query
    /// parameter that names a credential (`access_token`, `api_key`,
    /// `sig`) a secret input.
    fn query(&mut self, rest: &str, whose: &str) -> String {
        let (before_fragment, fragment) = match rest.split_once('#') {
            Some((before, fragment)) => (before, Some(fragment)),
            None => (rest, None),
        };
        let mut out = match before_fragment.split_once('?') {
            Some((path, query)) => format!("{}?{}", self.template(path, false), self.pairs(query, whose, true)),
            None => self.template(before_fragment, false),
        };
        if let Some(fragment) = fragment {
            let _ = write!(out, "#{}", self.template(fragment, false));
        }
        out
    }

    /// `name=value&…` (a query, a form body) as a template, each value
    /// under a credential's name a secret input, percent-encoded when
    /// `encoded` as it was sent.
    fn pairs(&mut self, text: &str, whose: &str, encoded: bool) -> String {
        let pairs: Vec<String> = text
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() && is_credential_word(name) => {
                    let input = match only_variable(value) {
                        Some(variable) => return format!("{name}={{{{ inputs.{} }}}}", self.variable(variable, true)),
                        None => self.secret(
                            name,
                            &format!("The value of `{name}` in {whose}, decoded (it is sent percent-encoded)"),
                            &format!("`{name}` in {whose}"),
                        ),
                    };
                    let filter = if encoded { " | urlencode" } else { "" };
                    format!("{}={{{{ inputs.{input}{filter} }}}}", self.template(name, false))
                }
                _ => self.template(pair, false),
            })
            .collect();
        pairs.join("&")
    }

    /// A JSON body as the `json:` value that sends it (JSON is YAML), each
    /// string a template (a credential's under its key a secret input);
    /// `None` when the body is not one JSON value, or holds a number JSON
    /// would send otherwise (`1e5`, a 30-digit integer): it is then sent as
    /// written.
    fn json_value(&mut self, body: &str) -> Option<String> {
        let mut value = serde_json::from_str::<serde_json::Value>(body).ok()?;
        if !numbers_as_written(&value, body) {
            return None;
        }
        let mut secrets = Vec::new();
        hide_credentials(&mut value, &mut secrets);
        self.templated_strings(&mut value);
        let mut out = value.to_string();
        for (at, (key, secret)) in secrets.iter().enumerate() {
            let input = match only_variable(secret) {
                Some(variable) => self.variable(variable, true),
                None => {
                    self.secret(key, &format!("The `{key}` of the JSON body"), &format!("`{key}` in the JSON body"))
                }
            };
            out = out.replacen(&placeholder(at), &format!("{{{{ inputs.{input} }}}}"), 1);
        }
        Some(out)
    }

    /// Each string in `value` as a template that sends it (a credential's
    /// placeholder left as it is).
    fn templated_strings(&mut self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) if !text.starts_with('\u{E002}') => *text = self.template(text, false),
            serde_json::Value::Object(map) => map.values_mut().for_each(|value| self.templated_strings(value)),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.templated_strings(item)),
            _ => {}
        }
    }

    /// The template of a credential header's value (`Authorization`,
    /// `Cookie`, names with `key`, `token`, `secret`…), its secret an
    /// input; `None` for another header. `Authorization: Bearer …` keeps
    /// its scheme in the template and asks for the token alone, in an input
    /// named for it (`bearer_token`): an operator who sets "the
    /// Authorization header's value" would send `Bearer Bearer …`.
    fn credential_header(&mut self, header: &str, value: &str) -> Option<String> {
        let name = header.to_ascii_lowercase();
        if !is_credential_word(&name) {
            return None;
        }
        let prefix = if name.starts_with("proxy-") { "proxy_" } else { "" };
        let scheme = value.split_once(' ').filter(|_| name.ends_with("authorization"));
        let known = scheme.and_then(|(scheme, secret)| {
            let (input, what) = match scheme.to_ascii_lowercase().as_str() {
                "bearer" => ("bearer_token", "bearer token"),
                "basic" => ("basic_credentials", "base64 `user:password`"),
                "token" => ("token", "token"),
                _ => return None,
            };
            Some((scheme, secret, format!("{prefix}{input}"), what))
        });
        let (scheme, secret, wanted, description) = match known {
            Some((scheme, secret, input, what)) => {
                (Some(scheme), secret, input, format!("The {what} of the {header} header, without `{scheme} `"))
            }
            None => (None, value, name.clone(), format!("The {header} header's whole value")),
        };
        let input = match only_variable(secret) {
            Some(variable) => self.variable(variable, true),
            None if secret.contains(VARIABLE_OPEN) => return Some(self.template(value, true)),
            None => self.secret(&wanted, &description, &format!("the `{header}` header")),
        };
        Some(match scheme {
            Some(scheme) => format!("{scheme} {{{{ inputs.{input} }}}}"),
            None => format!("{{{{ inputs.{input} }}}}"),
        })
    }
}

/// Whether a header, parameter, field or variable name says it holds a
/// credential: `Authorization`, `Cookie`, and names with `key`, `token`,
/// `secret`, `auth`, `password`, `passwd`, `passphrase`, `session`, `signature`, `credential`, or the words `sig` and `pwd`.
fn is_credential_word(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "cookie",
        "key",
        "token",
        "secret",
        "auth",
        "password",
        "passwd",
        "passphrase",
        "session",
        "signature",
        "credential",
    ]
    .iter()
    .any(|word| name.contains(word))
        || name.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| ["sig", "pwd"].contains(&word))
}

/// Whether each fractional or huge number in `value` is written in `body`
/// as JSON writes it back (`1.5`, not `1e5` or a rounded 30-digit integer).
fn numbers_as_written(value: &serde_json::Value, body: &str) -> bool {
    match value {
        serde_json::Value::Number(number) => number.is_i64() || number.is_u64() || body.contains(&number.to_string()),
        serde_json::Value::Object(map) => map.values().all(|value| numbers_as_written(value, body)),
        serde_json::Value::Array(items) => items.iter().all(|item| numbers_as_written(item, body)),
        _ => true,
    }
}

/// The variable's name when `text` is one shell variable and nothing else.
fn only_variable(text: &str) -> Option<&str> {
    text.strip_prefix(VARIABLE_OPEN)?.strip_suffix(VARIABLE_CLOSE).filter(|name| !name.contains(VARIABLE_OPEN))
}

/// The text that stands for the `at`-th hidden credential in a JSON body
/// while it is written out (private-use characters, which JSON writes as
/// they are).
fn placeholder(at: usize) -> String {
    format!("\u{E002}{at}\u{E003}")
}

/// Replaces each string under a credential's key with its
/// [`placeholder`], keeping (key, value) in order.
fn hide_credentials(value: &mut serde_json::Value, secrets: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    serde_json::Value::String(text) if !text.is_empty() && is_credential_word(key) => {
                        let secret = std::mem::replace(text, placeholder(secrets.len()));
                        secrets.push((key.clone(), secret));
                    }
                    _ => hide_credentials(value, secrets),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| hide_credentials(item, secrets)),
        _ => {}
    }
}

/// A YAML double-quoted scalar: JSON strings are valid YAML.
pub(crate) fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `text` as a template that renders to exactly `text`: a `{` that would
/// open a `{{`, `{%` or `{#` is written `{{ '{' }}` (a search UI's
/// `?q={{x}}` is text, not a variable).
fn as_written(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek().is_some_and(|next| matches!(next, '{' | '%' | '#')) {
            out.push_str("{{ '{' }}");
        } else {
            out.push(c);
        }
    }
    out
}

/// `https://host:port` and the rest (path, query), so the host becomes an
/// input and the runbook works against another environment.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?', '#']) {
        Some(offset) => url.split_at(after_scheme + offset),
        None => (url, ""),
    }
}

/// A header's value kept in the check.
enum Value<'a> {
    /// As curl sent it.
    Written(&'a str),
    /// A `Referer` or `Origin` naming the URL's host: what follows it,
    /// after `base_url`.
    Rebased(&'a str),
}

/// Headers a browser adds to every request ("Copy as cURL" copies them),
/// which are noise in a check; a `Referer` or `Origin` naming the copied
/// host follows `base_url` (it would keep naming that host when `base_url`
/// points elsewhere) and one naming another host is left out. Returns the
/// headers kept and the names left out.
fn without_browser_noise<'a>(headers: &'a [(String, String)], base: &str) -> (Vec<(String, Value<'a>)>, Vec<String>) {
    const NOISE: &[&str] = &[
        "connection",
        "accept-language",
        "accept-encoding",
        "cache-control",
        "pragma",
        "upgrade-insecure-requests",
        "priority",
        "dnt",
        "te",
    ];
    let (mut kept, mut left_out) = (Vec::new(), Vec::new());
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let value = if NOISE.contains(&lower.as_str())
            || lower.starts_with("sec-")
            || (lower == "user-agent" && value.starts_with("Mozilla/"))
        {
            None
        } else if lower == "referer" || lower == "origin" {
            value
                .strip_prefix(base)
                .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
                .map(Value::Rebased)
        } else {
            Some(Value::Written(value))
        };
        match value {
            Some(value) => kept.push((name.clone(), value)),
            None => left_out.push(name.clone()),
        }
    }
    (kept, left_out)
}

/// A piece of a URL's user info as `runbook new --from-curl` writes it.
enum UserPart {
    /// Text, percent-encoded already.
    Text(String),
    /// The input of this name, encoded where it is sent.
    Input(String),
}

/// `pieces` as one Jinja expression (`'://ops:' ~ (inputs.password |
/// urlencode | replace('/', '%2F')) ~ '@'`), each input encoded as user
/// info by hand (`urlencode` leaves `/`), adjacent texts joined. A text
/// is percent-encoded, so it holds no quote.
fn concatenated(pieces: Vec<UserPart>) -> String {
    let mut terms: Vec<String> = Vec::new();
    let mut text = String::new();
    for piece in pieces {
        match piece {
            UserPart::Text(more) => text.push_str(&more),
            UserPart::Input(input) => {
                if !text.is_empty() {
                    terms.push(format!("'{}'", std::mem::take(&mut text)));
                }
                terms.push(format!("(inputs.{input} | urlencode | replace('/', '%2F'))"));
            }
        }
    }
    if !text.is_empty() {
        terms.push(format!("'{text}'"));
    }
    terms.join(" ~ ")
}

/// `text` percent-encoded for a URL's user info: every byte but a letter,
/// a digit, `-`, `.`, `_` and `~` (which also keeps `{`, `%` and quotes
/// out of the template).
fn user_info_encoded(text: &str) -> String {
    text.bytes().fold(String::with_capacity(text.len()), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curl::parse;

    /// The runbook text of a curl line: inputs, then the probe.
    fn converted(line: &str) -> Converted {
        convert(&parse(line).expect("a curl line"))
    }

    #[test]
    fn urls_split_into_base_and_rest() {
        assert_eq!(split_url("https://h:8443/a/b?c"), ("https://h:8443", "/a/b?c"));
        assert_eq!(split_url("http://h"), ("http://h", ""));
        assert_eq!(split_url("http://h?x=1"), ("http://h", "?x=1"));
    }

    #[test]
    fn credentials_in_the_query_and_the_body_become_secret_inputs() {
        let form =
            converted("curl -d 'username=admin&password=hunter2' 'http://h/login?access_token=QSECRET&page=2&sig=S1'");
        let text = format!("{}{}", form.inputs, form.probe);
        for secret in ["hunter2", "QSECRET", "S1"] {
            assert!(!text.contains(secret), "{secret} written:\n{text}");
        }
        assert!(
            text.contains(
                "url: \"{{ inputs.base_url }}/login?access_token={{ inputs.access_token | urlencode }}&page=2&sig={{ \
                 inputs.sig | urlencode }}\""
            ),
            "{text}"
        );
        assert!(text.contains("body: \"username=admin&password={{ inputs.password | urlencode }}\""), "{text}");
        assert!(text.contains("Content-Type: \"application/x-www-form-urlencoded\""), "{text}");
        assert!(text.contains("  password: { description:") && text.contains("env: PASSWORD, secret: true }"));
        let names: Vec<&str> = form.made_up.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["access_token", "sig", "password"]);
        let json = converted(r#"curl --json '{"user":"a{{b","auth":{"api_key":"K9","n":1}}' http://h/x"#);
        assert!(
            json.probe.contains(r#"json: {"user":"a{{ '{' }}{b","auth":{"api_key":"{{ inputs.api_key }}","n":1}}"#),
            "{}",
            json.probe
        );
        assert!(!json.probe.contains("K9") && !json.probe.contains("Content-Type"), "{}", json.probe);
        let typed = converted(r"curl -H 'Content-Type: application/json; charset=utf-8' -d '[1]' http://h/x");
        assert!(typed.probe.contains("json: [1]") && typed.probe.contains("charset=utf-8"), "{}", typed.probe);
        for exotic in ["[1e5]", "[123456789012345678901234567890]"] {
            let kept = converted(&format!("curl --json '{exotic}' http://h/x"));
            assert!(kept.probe.contains(&format!("body: \"{exotic}\"")), "{}", kept.probe);
        }
        let not_json = converted(r"curl -H 'Content-Type: application/json' -d '{oops' http://h/x");
        assert!(not_json.probe.contains(r#"body: "{oops""#), "{}", not_json.probe);
    }

    /// review-12-user7 L12: `-u USER:PASSWORD` is sent as Basic from the
    /// URL's user info, the password a secret input never written.
    #[test]
    fn user_credentials_become_the_urls_user_info_with_a_secret_password() {
        let literal = converted("curl -u ops:s3cr3t https://localhost:27701/health");
        let text = format!("{}{}", literal.inputs, literal.probe);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("url: \"https://ops:{{ inputs.password }}@{{ inputs.host }}/health\""), "{text}");
        assert!(text.contains("  host: { description: Service host and port, default: \"localhost:27701\" }"));
        assert!(text.contains("env: PASSWORD, secret: true }"), "{text}");
        let variable = converted(r#"curl --user "ops:$PASS" https://h/x"#);
        assert!(variable.probe.contains("ops:{{ inputs.pass }}@"), "{}", variable.probe);
        assert!(variable.inputs.contains("env: PASS, secret: true }"), "{}", variable.inputs);
        let asked = converted("curl -u ops https://h/");
        assert!(asked.inputs.contains("  password: {"), "curl asks for it: {}", asked.inputs);
        let based = converted(r#"curl -u ops:pw "$BASE/x""#);
        assert!(
            based.probe.contains(
                "url: \"{{ inputs.base | replace('://', '://ops:' ~ (inputs.password | urlencode | replace('/', \
                 '%2F')) ~ '@') }}/x\""
            ),
            "{}",
            based.probe
        );
    }

    /// i12b's gap: `-u`'s user name is percent-encoded where it lands in
    /// the URL's user info, so an `@`, `:`, `/` or space in it no longer
    /// moves the host (`https://ops@corp:…@host` sent to `corp`); a
    /// `$VARIABLE` in it stays an input, encoded by the engine as user info
    /// when sent, or by hand in a base that is one input.
    #[test]
    fn the_user_name_is_percent_encoded_in_the_user_info() {
        let at = converted("curl -u 'ops@corp.example:pw' https://api.example/health");
        assert!(
            at.probe.contains("url: \"https://ops%40corp.example:{{ inputs.password }}@{{ inputs.host }}/health\""),
            "{}",
            at.probe
        );
        let odd = converted("curl -u 'a b/c{{d:pw' https://h/x");
        assert!(odd.probe.contains("url: \"https://a%20b%2Fc%7B%7Bd:{{ inputs.password }}@"), "{}", odd.probe);
        let variable = converted(r#"curl -u "$OPS_USER@corp:pw" https://h/x"#);
        assert!(
            variable.probe.contains("https://{{ inputs.ops_user }}%40corp:{{ inputs.password }}@"),
            "{}",
            variable.probe
        );
        let based = converted(r#"curl -u "$OPS_USER@corp:pw" "$BASE/x""#);
        assert!(
            based.probe.contains(
                "{{ inputs.base | replace('://', '://' ~ (inputs.ops_user | urlencode | replace('/', '%2F')) ~ \
                 '%40corp:' ~ (inputs.password | urlencode | replace('/', '%2F')) ~ '@') }}/x"
            ),
            "{}",
            based.probe
        );
    }

    #[test]
    fn headers_of_one_name_make_distinct_inputs() {
        let request =
            converted("curl -H 'Authorization: Token abc' -H 'Token: def' -H 'X-Token: a' -H 'X_Token: b' http://h/");
        let names: Vec<&str> = request.made_up.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["token", "token_2", "x_token", "x_token_2"]);
    }

    #[test]
    fn shell_variables_become_inputs_read_from_them() {
        let request = converted(r#"curl -H "Authorization: Bearer $TOKEN" "$BASE_URL/health?key=${API_KEY}""#);
        assert!(
            request.probe.contains("url: \"{{ inputs.base_url }}/health?key={{ inputs.api_key }}\""),
            "{}",
            request.probe
        );
        assert!(request.probe.contains("Authorization: \"Bearer {{ inputs.token }}\""), "{}", request.probe);
        assert!(
            request.inputs.contains("  base_url: { description: \"`$BASE_URL` in the curl line\", env: BASE_URL }"),
            "{}",
            request.inputs
        );
        assert!(
            request
                .inputs
                .contains("  token: { description: \"`$TOKEN` in the curl line\", env: TOKEN, secret: true }"),
            "{}",
            request.inputs
        );
        // Secret when any use is a credential's place, whatever comes first.
        for line in
            [r#"curl -d "note=$P&password=$P" http://h/"#, r#"curl "http://h/u/$P" -H "Authorization: Bearer $P""#]
        {
            let request = converted(line);
            assert!(request.inputs.contains("env: P, secret: true }"), "{line}: {}", request.inputs);
        }
    }
}
