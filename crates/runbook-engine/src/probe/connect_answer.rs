//! `CONNECT` to an http proxy, by hand: what it answers, asked again when
//! the client's tunnel failed (the client reports a refusal without the
//! status, and "the proxy answered 502" tells the operator something "was
//! not 200" does not). Within the probe's time, once.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::proxy::Via;

/// Most bytes read of the proxy's answer: its status line is all we keep.
const MAX_ANSWER_BYTES: usize = 1024;
/// Most characters of the reason phrase shown.
const MAX_REASON_CHARS: usize = 60;

/// The proxy's answer to `CONNECT`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ConnectAnswer {
    /// A status line: the code and the reason phrase (printable, cut short).
    Status(u16, String),
    /// Something other than an HTTP status line.
    NotHttp,
}

/// Asks the http proxy `via` for a tunnel to `authority` (`host:port`) and
/// reads its status line; `None` when it cannot be asked (an https proxy,
/// or the connection fails or closes before a line).
pub(super) async fn ask(via: &Via, authority: &str) -> Option<ConnectAnswer> {
    if !via.url.starts_with("http://") {
        return None;
    }
    let mut stream = TcpStream::connect((via.host.as_str(), via.port)).await.ok()?;
    let auth = via.auth.as_ref().and_then(|auth| auth.to_str().ok());
    let auth = auth.map(|auth| format!("Proxy-Authorization: {auth}\r\n")).unwrap_or_default();
    let request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{auth}\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0; 256];
    while !answer.contains(&b'\n') && answer.len() < MAX_ANSWER_BYTES {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..read]);
    }
    (!answer.is_empty()).then(|| status_line(&answer))
}

/// Parses `HTTP/1.x CODE REASON` from the start of `answer`.
fn status_line(answer: &[u8]) -> ConnectAnswer {
    let line = answer.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end_matches('\r').splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else { return ConnectAnswer::NotHttp };
    let code = code.parse::<u16>().ok().filter(|code| (100..=999).contains(code));
    match code {
        Some(code) if version.starts_with("HTTP/1.") => {
            let reason: String =
                parts.next().unwrap_or_default().chars().filter(|c| !c.is_control()).take(MAX_REASON_CHARS).collect();
            ConnectAnswer::Status(code, reason.trim().to_owned())
        }
        _ => ConnectAnswer::NotHttp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_and_anything_else_is_not_http() {
        assert_eq!(status_line(b"HTTP/1.1 502 Bad Gateway\r\n\r\n"), ConnectAnswer::Status(502, "Bad Gateway".into()));
        assert_eq!(status_line(b"HTTP/1.0 403\r\n"), ConnectAnswer::Status(403, String::new()));
        assert_eq!(status_line(b"HTTP/1.1 504 Gate\x1b[2Jway\r\n"), ConnectAnswer::Status(504, "Gate[2Jway".into()));
        assert_eq!(status_line(b"\x00\xffGARBAGE"), ConnectAnswer::NotHttp);
        assert_eq!(status_line(b"HTTP/1.1 abc OK\r\n"), ConnectAnswer::NotHttp);
    }
}
