//! A body sent compressed (`content-encoding: gzip`), as object stores and
//! some proxies send it whatever the request asked: decoded as `curl
//! --compressed` and browsers do, so that `json`, `body` and captures read
//! what the service said, within the same byte limit.

use std::io::Write;

use super::Captured;

/// The encodings decoded: gzip (`x-gzip` its old name) and deflate.
const DECODED: &[&str] = &["gzip", "x-gzip", "deflate"];

/// Whether a body sent with `encoding` is decoded when it is read whole.
pub(crate) fn decodes(encoding: &str) -> bool {
    DECODED.iter().any(|decoded| encoding.eq_ignore_ascii_case(decoded))
}

/// `body` decoded as its `encoding` says, kept as a captured output is
/// (head and tail within `limit`); `None` for an encoding not decoded, a
/// body cut at the limit (its middle is gone) or one that does not decode,
/// which then stays as sent.
pub(super) fn decoded(encoding: &str, body: &Captured, limit: usize) -> Option<Captured> {
    if !decodes(encoding) || !body.is_complete() || body.total_bytes == 0 {
        return None;
    }
    let sink = Sink { captured: Captured::new(), limit };
    let tail = body.tail_bytes();
    let decoded = if encoding.eq_ignore_ascii_case("deflate") {
        let mut decoder = flate2::write::ZlibDecoder::new(sink);
        decoder.write_all(&body.head).and_then(|()| decoder.write_all(&tail)).ok()?;
        decoder.finish().ok()?
    } else {
        let mut decoder = flate2::write::GzDecoder::new(sink);
        decoder.write_all(&body.head).and_then(|()| decoder.write_all(&tail)).ok()?;
        decoder.finish().ok()?
    };
    Some(decoded.captured)
}

/// Where decoded bytes go: a captured output, bounded like the body.
struct Sink {
    captured: Captured,
    limit: usize,
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.captured.push(bytes, self.limit);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(bytes: &[u8], limit: usize) -> Captured {
        let mut captured = Captured::new();
        captured.push(bytes, limit);
        captured
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_gzip_or_deflate_body_read_whole_is_decoded_within_the_limit() {
        let body = captured(&gzip(br#"{"ok": true}"#), 1024);
        assert_eq!(decoded("gzip", &body, 1024).unwrap().kept(), r#"{"ok": true}"#);
        // Read whole, a body may lie in the head and the tail.
        let split = captured(&gzip(br#"{"ok": true}"#), 40);
        assert!(split.is_complete() && !split.tail.is_empty());
        assert_eq!(decoded("gzip", &split, 40).unwrap().kept(), r#"{"ok": true}"#);
        assert_eq!(decoded("X-Gzip", &body, 1024).unwrap().kept(), r#"{"ok": true}"#);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(b"ok").unwrap();
        assert_eq!(decoded("deflate", &captured(&zlib.finish().unwrap(), 1024), 1024).unwrap().kept(), "ok");
        // A large answer keeps its head and tail, as any output does.
        let large = decoded("gzip", &captured(&gzip(&[b'a'; 10_000]), 1024), 1024).unwrap();
        assert_eq!((large.total_bytes, large.dropped_bytes), (10_000, 10_000 - 1024));
    }

    #[test]
    fn a_body_not_decoded_stays_as_sent() {
        let sent = gzip(b"ok");
        assert!(decoded("br", &captured(&sent, 1024), 1024).is_none(), "brotli is not decoded");
        assert!(decoded("gzip", &captured(b"not gzip", 1024), 1024).is_none(), "does not decode");
        assert!(decoded("gzip", &captured(&gzip(&[b'x'; 4096]), 16), 16).is_none(), "cut at the limit");
    }
}
