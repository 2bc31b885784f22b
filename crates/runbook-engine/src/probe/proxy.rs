//! Which proxy an HTTP request goes through. The engine decides it for
//! every hop itself, by the rules reqwest would apply, and gives the client
//! exactly that proxy: what the evidence shows is what was used.

use std::fmt;

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
    /// The proxy a request to `url` goes through, if any.
    pub(crate) fn via(&self, url: &Url) -> Result<Option<Via>, ProbeError> {
        let matcher = match self {
            Self::Direct => return Ok(None),
            Self::Environment => Matcher::from_env(),
            Self::Url(proxy) => {
                check_proxy_url(proxy)?;
                Matcher::builder().all(proxy.clone()).build()
            }
        };
        // A URL reqwest accepts is a valid URI; if not, the request fails
        // later with its own message.
        let Ok(uri) = url.as_str().parse::<http::Uri>() else {
            return Ok(None);
        };
        Ok(matcher.intercept(&uri).as_ref().and_then(Via::of))
    }
}

/// An explicit proxy must be an `http://` or `https://` URL with a host: an
/// unusable one would otherwise be skipped silently and the request go direct.
fn check_proxy_url(proxy: &str) -> Result<(), ProbeError> {
    let invalid = |why: &str| {
        // The URL is not shown: it may hold a password.
        ProbeError::new(ErrorKind::InvalidTarget, format!("invalid proxy: {why}; use `none` or http://HOST:PORT"))
    };
    let url = Url::parse(proxy).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(&format!("scheme `{}` is not supported", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(())
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
            assert!(error.message.starts_with("invalid proxy: "), "{proxy}: {}", error.message);
        }
    }
}
