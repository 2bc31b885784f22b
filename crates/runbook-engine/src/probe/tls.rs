//! TLS in words: why a handshake failed, and the facts of the certificate a
//! server presented (who issued it, for whom, until when).

use std::time::{SystemTime, UNIX_EPOCH};

use runbook_model::CertificateFact;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use x509_parser::parse_x509_certificate;

use crate::clock::rfc3339_seconds;

/// The server's own certificate, as the last response presented it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Certificate {
    /// Who signed it: `CN=Internal CA, O=Example`.
    pub issuer: String,
    /// Whom it is for: `CN=api.example.com`.
    pub subject: String,
    /// Start of validity, RFC 3339 in UTC (`2026-01-01T00:00:00Z`).
    pub not_before: String,
    /// End of validity, RFC 3339 in UTC.
    pub not_after: String,
    /// Whole days from the observation to `not_after`; negative once it has
    /// expired (seen only with `tls.insecure`).
    pub days_left: i64,
}

impl Certificate {
    /// The facts of a DER certificate, judged at `now`; `None` when it does
    /// not parse.
    pub(crate) fn of(der: &[u8], now: SystemTime) -> Option<Self> {
        let (_, certificate) = parse_x509_certificate(der).ok()?;
        let validity = certificate.validity();
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let not_after = validity.not_after.timestamp();
        Some(Self {
            issuer: certificate.issuer().to_string(),
            subject: certificate.subject().to_string(),
            not_before: rfc3339_seconds(validity.not_before.timestamp()),
            not_after: rfc3339_seconds(not_after),
            days_left: (not_after - now).div_euclid(86_400),
        })
    }

    /// One fact, as expectations and captures read it.
    pub fn fact(&self, fact: CertificateFact) -> Value {
        match fact {
            CertificateFact::Issuer => Value::from(self.issuer.as_str()),
            CertificateFact::Subject => Value::from(self.subject.as_str()),
            CertificateFact::NotBefore => Value::from(self.not_before.as_str()),
            CertificateFact::NotAfter => Value::from(self.not_after.as_str()),
            CertificateFact::DaysLeft => Value::from(self.days_left),
        }
    }
}

/// Most names of a certificate listed in a message; the rest are counted.
const SHOWN_NAMES: usize = 5;

/// rustls failure names (and message fragments) and what they mean.
const FAILURES: [(&str, &str); 18] = [
    (
        "UnknownIssuer",
        "the certificate is signed by an unknown authority (self-signed, or a private CA: trust it with tls.ca_file)",
    ),
    (
        "CaUsedAsEndEntity",
        "the server presented a CA certificate (CA:TRUE, as `openssl req -x509` makes by default) as its own \
         certificate, which is refused even when tls.ca_file holds it: give the server a certificate signed by \
         that CA, or set tls.insecure",
    ),
    ("EkuError", "the certificate is not meant for a server (its extended key usage lacks server authentication)"),
    ("UnsupportedCriticalExtension", "the certificate has a critical extension this client does not know"),
    ("CertificateRequired", "the server requires a client certificate, which runbook does not send"),
    ("tls handshake eof", "the server closed the connection during the handshake"),
    ("EndEntityUsedAsCa", "the chain uses a server certificate as a CA"),
    ("NotValidForName", "the certificate is not valid for this host name"),
    ("NotValidYet", "the certificate is not valid yet"),
    ("Expired", "the certificate has expired"),
    ("Revoked", "the certificate has been revoked"),
    ("BadSignature", "the certificate's signature does not verify"),
    ("UnsupportedSignatureAlgorithm", "the certificate is signed with an unsupported algorithm"),
    ("BadEncoding", "the certificate is malformed"),
    ("extended key usage", "the certificate is not meant for a server (extended key usage)"),
    ("peer sent no certificates", "the server presented no certificate"),
    ("InvalidContentType", "the server did not answer in TLS (is it plain http on this port?)"),
    ("received fatal alert", "the server ended the handshake"),
];

/// Why a handshake failed, in words, from rustls' message (`invalid peer
/// certificate: UnknownIssuer`, `received fatal alert: HandshakeFailure`).
/// `ca_file` says whether the probe trusts a CA file: an unknown authority
/// then points at a missing intermediate. An unknown message is kept,
/// without rustls' Debug wrapping.
pub(crate) fn failure_in_words(detail: &str, ca_file: bool) -> String {
    if detail.contains("SelfSigned") {
        return "the certificate is self-signed and not trusted: give that certificate as tls.ca_file".to_owned();
    }
    if ca_file && detail.contains("UnknownIssuer") {
        return "the certificate is signed by an authority that is neither in tls.ca_file nor sent by the server \
                (is the server missing its intermediate certificate?)"
            .to_owned();
    }
    if ca_file && detail.contains("BadSignature") {
        return "the certificate's signature does not verify with the CA of that name in tls.ca_file (was the CA \
                made again with a new key?)"
            .to_owned();
    }
    // rustls' context for a name mismatch and an expiry is worth keeping.
    if let Some(rest) = detail.split_once("certificate not valid for name ").map(|(_, rest)| rest) {
        let (name, presented) = rest.split_once("; certificate ").unwrap_or((rest, ""));
        let name = name.trim_matches('"');
        let words = format!("the certificate is not valid for the host name `{name}`");
        return match presented.strip_prefix("is ").unwrap_or(presented) {
            "" => words,
            presented => format!("{words} (it is {})", capped(&plain_names(presented))),
        };
    }
    if let Some(not_after) = after_unix(detail, "but certificate is not valid after ") {
        return format!("the certificate has expired (it was valid until {})", rfc3339_seconds(not_after));
    }
    if let Some(not_before) = after_unix(detail, "but certificate is not valid before ") {
        return format!("the certificate is not valid yet (it is valid from {})", rfc3339_seconds(not_before));
    }
    FAILURES.iter().find(|(name, _)| detail.contains(name)).map_or_else(
        || plain_names(detail),
        |(name, words)| {
            if *name == "received fatal alert" { format!("{words} ({detail})") } else { (*words).to_owned() }
        },
    )
}

/// Whether the certificate's issuer is its own subject (self-signed).
pub(crate) fn self_issued(der: &[u8]) -> bool {
    parse_x509_certificate(der)
        .is_ok_and(|(_, certificate)| certificate.issuer().as_raw() == certificate.subject().as_raw())
}

/// rustls' names without their Debug wrapping: `DnsName("api.test")` and
/// `IpAddress(10.0.0.1)` read as `api.test` and `10.0.0.1`.
fn plain_names(text: &str) -> String {
    static WRAPPED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\b[A-Z][A-Za-z]*\("?([^"()]*)"?\)"#).expect("a valid pattern")
    });
    let mut text = text.to_owned();
    // Inside out: `Other(OtherError(EkuError))` takes two passes.
    while let std::borrow::Cow::Owned(plain) = WRAPPED.replace_all(&text, "$1") {
        text = plain;
    }
    text
}

/// rustls' list of a certificate's names (`only valid for a, b or c`) cut
/// after [`SHOWN_NAMES`]: `only valid for a, b, c, d, e and 2995 more`.
fn capped(names: &str) -> String {
    let Some((intro, list)) = names.split_once(" for ") else { return names.to_owned() };
    let (leading, final_name) = list.rsplit_once(" or ").unwrap_or((list, ""));
    let mut all: Vec<&str> = leading.split(", ").collect();
    if !final_name.is_empty() {
        all.push(final_name);
    }
    if all.len() <= SHOWN_NAMES {
        return names.to_owned();
    }
    format!("{intro} for {} and {} more", all[..SHOWN_NAMES].join(", "), all.len() - SHOWN_NAMES)
}

/// The UNIX time after `marker` in `detail` (`… not valid after 1700000000 (UNIX)`).
fn after_unix(detail: &str, marker: &str) -> Option<i64> {
    let (_, rest) = detail.split_once(marker)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_failures_read_as_words() {
        for (detail, words) in [
            (
                "invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
                "the server presented a CA certificate (CA:TRUE, as `openssl req -x509` makes by default) as its own \
                 certificate, which is refused even when tls.ca_file holds it: give the server a certificate signed \
                 by that CA, or set tls.insecure",
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                "the certificate is signed by an unknown authority (self-signed, or a private CA: trust it with tls.ca_file)",
            ),
            (
                "invalid peer certificate: certificate expired: verification time 1798761600 (UNIX), but certificate is not valid after 1798761599 (1 seconds ago)",
                "the certificate has expired (it was valid until 2026-12-31T23:59:59Z)",
            ),
            (
                "invalid peer certificate: certificate not valid yet: verification time 0 (UNIX), but certificate is not valid before 951825600 (9 seconds in future)",
                "the certificate is not valid yet (it is valid from 2000-02-29T12:00:00Z)",
            ),
            (
                "invalid peer certificate: certificate not valid for name \"localhost\"; certificate is only valid for DnsName(\"api.example\")",
                "the certificate is not valid for the host name `localhost` (it is only valid for api.example)",
            ),
            (
                "received fatal alert: HandshakeFailure",
                "the server ended the handshake (received fatal alert: HandshakeFailure)",
            ),
            (
                "invalid peer certificate: certificate not valid for name \"api\"; certificate is only valid for DnsName(\"a.test\") or IpAddress(10.0.0.1)",
                "the certificate is not valid for the host name `api` (it is only valid for a.test or 10.0.0.1)",
            ),
            ("something new", "something new"),
            (
                "invalid peer certificate: Other(OtherError(EkuError))",
                "the certificate is not meant for a server (its extended key usage lacks server authentication)",
            ),
            (
                "invalid peer certificate: Other(OtherError(UnsupportedCriticalExtension))",
                "the certificate has a critical extension this client does not know",
            ),
            (
                "received fatal alert: CertificateRequired",
                "the server requires a client certificate, which runbook does not send",
            ),
            ("tls handshake eof", "the server closed the connection during the handshake"),
            ("invalid peer certificate: Other(OtherError(SomethingNew))", "invalid peer certificate: SomethingNew"),
        ] {
            assert_eq!(failure_in_words(detail, false), words);
        }
        assert!(failure_in_words("invalid peer certificate: UnknownIssuer", true).contains("intermediate"));
    }

    #[test]
    fn a_long_list_of_names_is_cut() {
        let names: Vec<String> = (0..3000).map(|n| format!("DnsName(\"n{n}.test\")")).collect();
        let detail = format!(
            "invalid peer certificate: certificate not valid for name \"api\"; certificate is only valid for {} or {}",
            names[..2999].join(", "),
            names[2999]
        );
        assert_eq!(
            failure_in_words(&detail, false),
            "the certificate is not valid for the host name `api` (it is only valid for n0.test, n1.test, n2.test, \
             n3.test, n4.test and 2995 more)"
        );
    }
}
