//! Which proxy an HTTP request goes through. The engine decides it for
//! every hop itself, by the rules reqwest would apply, and gives the client
//! exactly that proxy: what the evidence shows is what was used.

use std::fmt;
use std::sync::LazyLock;

use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use reqwest::Url;
use reqwest::header::HeaderValue;

use super::{ErrorKind, ProbeError};

/// Where the proxy of an `http` probe comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (or their
    /// lower-case forms), read as curl reads them.
    #[default]
    Environment,
    /// No proxy, whatever the environment says (`proxy: none`).
    Direct,
    /// This proxy for every request (`proxy: URL`); `NO_PROXY` does not apply.
    Url(String),
}

/// The proxy one hop goes through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Via {
    /// `http://host:port`: no credentials, no path.
    pub(crate) url: String,
    /// Host and port, for messages.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Proxy-Authorization` from the proxy URL's user and password.
    pub(crate) auth: Option<HeaderValue>,
}

impl ProxySetting {
    /// The proxy a request to `url` goes through, if any. An unusable proxy
    /// (explicit or from the environment) is an error naming where it came
    /// from, never a reason to go direct.
    pub(crate) fn via(&self, url: &Url) -> Result<Option<Via>, ProbeError> {
        self.via_in(url, &|name| {
            PROXY_ENVIRONMENT.iter().find(|(variable, _)| *variable == name).map(|(_, value)| value.clone())
        })
    }

    /// [`Self::via`], reading the environment through `env`.
    fn via_in(&self, url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Via>, ProbeError> {
        let (proxy, no_proxy) = match self {
            Self::Direct => return Ok(None),
            Self::Url(proxy) => (usable("`proxy`", proxy)?, String::new()),
            Self::Environment => {
                let Some((name, value)) = environment_proxy(url.scheme(), env) else {
                    return Ok(None);
                };
                let no_proxy = first_set(&["no_proxy", "NO_PROXY"], env).map(|(_, value)| value).unwrap_or_default();
                if no_proxy.split(',').any(|entry| entry.trim() == "*") {
                    return Ok(None);
                }
                let value = if value.contains("://") { value } else { format!("http://{value}") };
                (usable(name, &value)?, no_proxy)
            }
        };
        let matcher = Matcher::builder().all(proxy.to_string()).no(no_proxy).build();
        // A URL reqwest accepts is a valid URI; if not, the request fails
        // later with its own message.
        let Ok(uri) = url.as_str().parse::<http::Uri>() else {
            return Ok(None);
        };
        // The proxy URL was checked, so no intercept means `NO_PROXY` named the host.
        Ok(matcher.intercept(&uri).as_ref().and_then(Via::of))
    }
}

/// The variable naming the proxy for a `scheme` URL, and its value, as curl
/// reads them: the lower-case name wins; `HTTP_PROXY` is read only outside
/// CGI (`REQUEST_METHOD` unset), where a request's `Proxy:` header would set
/// it; an empty value is unset.
fn environment_proxy(scheme: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    let own: &[&'static str] = match scheme {
        "https" => &["https_proxy", "HTTPS_PROXY"],
        _ if env("REQUEST_METHOD").is_some() => &["http_proxy"],
        _ => &["http_proxy", "HTTP_PROXY"],
    };
    first_set(own, env).or_else(|| first_set(&["all_proxy", "ALL_PROXY"], env))
}

fn first_set(names: &[&'static str], env: &dyn Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    names.iter().find_map(|&name| env(name).filter(|value| !value.is_empty()).map(|value| (name, value)))
}

/// A proxy must be an `http://` or `https://` URL with a host and a valid
/// port, written without spaces: anything else would be skipped, or
/// trimmed and guessed at, and the request would go elsewhere than meant.
/// `source` names where the value came from; the value itself is not shown,
/// since it may hold a password.
fn usable(source: &str, proxy: &str) -> Result<Url, ProbeError> {
    let invalid = |why: &str| {
        ProbeError::new(
            ErrorKind::InvalidTarget,
            format!("invalid proxy in {source}: {why}; use `none` or http://HOST:PORT"),
        )
    };
    if proxy.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it contains a space, tab or line break"));
    }
    let url = Url::parse(proxy).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(&format!("scheme `{}` is not supported", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(url)
}

/// The variables a proxy can come from, as [`environment_proxy`] reads them.
const PROXY_VARIABLES: [&str; 6] = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

/// The variables [`ProxySetting::via`] reads, and their values in this
/// process's environment, read once: nothing in the process changes its
/// own environment (that takes `unsafe`, which the workspace forbids), and
/// five lookups per request (each a scan of the whole environment) cost
/// more than a third of parsing the request's URL.
static PROXY_ENVIRONMENT: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
    PROXY_VARIABLES
        .iter()
        .chain(&["no_proxy", "NO_PROXY", "REQUEST_METHOD"])
        .filter_map(|&name| std::env::var(name).ok().map(|value| (name, value)))
        .collect()
});

/// The secrets in the proxy variables of this process's environment, each
/// with its variable's name: the engine sends them (as Basic credentials),
/// so it must hide them wherever they come back.
pub(crate) fn environment_proxy_secrets() -> Vec<(&'static str, String)> {
    PROXY_ENVIRONMENT
        .iter()
        .filter(|(name, _)| PROXY_VARIABLES.contains(name))
        .flat_map(|(name, value)| proxy_secrets(value).into_iter().map(move |secret| (*name, secret)))
        .collect()
}

/// The password in a proxy URL's user information, percent-decoded as it
/// is sent, and the Basic credential made of it (base64 of `user:password`,
/// hidden whole rather than in part); empty without a password.
pub(crate) fn proxy_secrets(proxy: &str) -> Vec<String> {
    let rest = proxy.split_once("://").map_or(proxy, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((user, password)) = authority.rsplit_once('@').and_then(|(userinfo, _)| userinfo.split_once(':')) else {
        return Vec::new();
    };
    let password = percent_decoded(password);
    if password.is_empty() {
        return Vec::new();
    }
    let basic = basic_credential(user, &password);
    vec![password, basic]
}

/// The HTTP Basic credential (base64 of `user:password`) of a URL's user
/// information: `user` as the URL writes it (percent-encoded), `password`
/// decoded.
pub(super) fn basic_credential(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", percent_decoded(user)))
}

pub(super) fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        if let Some(byte) = hex.filter(|_| bytes[index] == b'%').and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

impl Via {
    fn of(intercept: &Intercept) -> Option<Self> {
        let uri = intercept.uri();
        let scheme = uri.scheme_str()?;
        let host = uri.host()?.to_owned();
        let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        Some(Self { url: format!("{scheme}://{host}:{port}"), host, port, auth: intercept.basic_auth().cloned() })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy {}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn an_explicit_proxy_is_shown_without_its_password() {
        let setting = ProxySetting::Url("http://user:pa55@proxy.example:3128/ignored".into());
        let via = setting.via(&url("https://api.example/x")).unwrap().unwrap();
        assert_eq!(via.url, "http://proxy.example:3128");
        assert_eq!(via.to_string(), "proxy proxy.example:3128");
        assert_eq!(via.auth.unwrap(), "Basic dXNlcjpwYTU1");
    }

    #[test]
    fn direct_uses_no_proxy() {
        assert_eq!(ProxySetting::Direct.via(&url("http://api.example/")).unwrap(), None);
    }

    #[test]
    fn unusable_proxy_urls_are_errors_not_skipped() {
        for proxy in ["socks5://127.0.0.1:1080", "proxy.example:3128", "http://", "not a url"] {
            let error = ProxySetting::Url(proxy.into()).via(&url("http://api.example/")).unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidTarget, "{proxy}");
            assert!(error.message.starts_with("invalid proxy in `proxy`: "), "{proxy}: {}", error.message);
        }
    }

    #[test]
    fn proxy_secrets_are_the_decoded_password_and_the_basic_credential() {
        assert_eq!(proxy_secrets("http://bob:EnvPr0xyPW@127.0.0.1:9501"), ["EnvPr0xyPW", "Ym9iOkVudlByMHh5UFc="]);
        assert_eq!(proxy_secrets("u:p%40ss%20w0rd!Q@h:1")[0], "p@ss w0rd!Q");
        assert!(proxy_secrets("http://bob@h:1/x@y").is_empty());
        assert!(proxy_secrets("http://h:1").is_empty());
    }

    fn environment(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn via_env(vars: &[(&str, &str)], target: &str) -> Result<Option<Via>, ProbeError> {
        ProxySetting::Environment.via_in(&url(target), &environment(vars))
    }

    #[test]
    fn proxies_with_spaces_bad_ports_or_other_schemes_are_errors_naming_their_source() {
        for proxy in ["http://127.0.0.1:9599 ", " http://127.0.0.1:9599", "http://127.0.0.1:9599\n", "http://u:p@h:1\t"]
        {
            let error = ProxySetting::Url(proxy.into()).via(&url("http://api.example/")).unwrap_err();
            assert!(error.message.contains("a space, tab or line break"), "{proxy:?}: {}", error.message);
        }
        for (value, why) in [
            ("http://u:Secr3tX@127.0.0.1:99999", "invalid port number"),
            ("http://127.0.0.1:9599 ", "a space, tab or line break"),
            ("http://u:Secr3tX@[::1", "invalid IPv6 address"),
            ("ftp://127.0.0.1:9501", "scheme `ftp` is not supported"),
            ("socks5://127.0.0.1:1080", "scheme `socks5` is not supported"),
        ] {
            let error = via_env(&[("HTTP_PROXY", value)], "http://127.0.0.1:9601/").unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidTarget);
            assert!(error.message.starts_with("invalid proxy in HTTP_PROXY: "), "{value}: {}", error.message);
            assert!(error.message.contains(why), "{value}: {}", error.message);
            assert!(!error.message.contains("Secr3tX"), "{}", error.message);
        }
        let error = via_env(&[("ALL_PROXY", "ftp://h:1")], "https://api.example/").unwrap_err();
        assert!(error.message.starts_with("invalid proxy in ALL_PROXY: "), "{}", error.message);
    }

    #[test]
    fn the_environment_is_read_as_curl_reads_it() {
        let port = |vars: &[(&str, &str)], target: &str| via_env(vars, target).unwrap().map(|via| via.port);
        // Lower case wins; upper-case HTTP_PROXY is ignored under CGI.
        assert_eq!(port(&[("http_proxy", "http://a:1"), ("HTTP_PROXY", "http://b:2")], "http://x/"), Some(1));
        assert_eq!(port(&[("HTTP_PROXY", "http://b:2")], "http://x/"), Some(2));
        assert_eq!(port(&[("HTTP_PROXY", "http://b:2"), ("REQUEST_METHOD", "GET")], "http://x/"), None);
        assert_eq!(port(&[("https_proxy", "http://a:1"), ("HTTPS_PROXY", "http://b:2")], "https://x/"), Some(1));
        // ALL_PROXY when the scheme's own is unset or empty; no scheme means http.
        assert_eq!(port(&[("http_proxy", ""), ("ALL_PROXY", "c:3")], "http://x/"), Some(3));
        // `*` in NO_PROXY matches IP addresses too; lower-case no_proxy wins.
        for no_proxy in ["*", "foo, *"] {
            assert_eq!(port(&[("HTTP_PROXY", "http://b:2"), ("NO_PROXY", no_proxy)], "http://10.0.0.7:8080/"), None);
        }
        assert_eq!(port(&[("HTTP_PROXY", "http://b:2"), ("NO_PROXY", "*"), ("no_proxy", "x")], "http://y/"), Some(2));
        assert_eq!(port(&[("HTTP_PROXY", "http://b:2"), ("NO_PROXY", "10.0.0.0/8")], "http://10.0.0.7/"), None);
        // An unusable proxy for a host NO_PROXY exempts is never used.
        assert_eq!(port(&[("HTTP_PROXY", "http://b:2"), ("NO_PROXY", "*")], "http://x/"), None);
    }
}
