//! Content codings: which ones a client accepts (one rule, for the site's
//! files and the live stream), and the live stream's gzip.
//!
//! The stream is most of what a dashboard left open receives: about 400 B
//! of JSON per event, 6.5 KB of it before a phone's page on a 1.6 Mbps link
//! is live, beside the WASM (`docs/performance.md`), and more than such a
//! link carries at a few thousand events a second. Events repeat each
//! other's keys, models and stages, so one gzip stream per connection sends
//! them at a fifth to a sixth (4.6× at 250 events/s). A general compression
//! layer would hold an event in its encoder until a buffer filled; this one
//! flushes (a sync flush, which ends on a byte boundary so the client can
//! decode everything sent so far) after each batch of events that were
//! ready together. Level 1: on a recorded stream of the simulator's events,
//! flushed after each, it sends a sixth (6.0×) against level 6's 7.3×, for
//! about a third less CPU (zlib's figures: 2.1 against 3.3 µs an event),
//! and that CPU is paid once per open stream per event.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures::StreamExt;
use std::io::Write;

/// Most frames (events, heartbeats) compressed together when they are
/// ready at once; past it the next flush comes sooner.
const BATCH: usize = 64;

/// Whether a request's `Accept-Encoding` accepts `coding` (and not with
/// `q=0`).
pub fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    let accept = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    accepts_coding(accept, coding)
}

fn accepts_coding(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        parts.next().is_some_and(|c| c.eq_ignore_ascii_case(coding))
            && parts.all(|p| p.strip_prefix("q=").is_none_or(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0)))
    })
}

/// `body`, an endless stream of frames, gzipped: each batch of frames that
/// were ready together goes out as soon as it is compressed. A stream that
/// ends (the server stopping) ends its gzip too.
pub fn gzip_stream(body: Body) -> Body {
    let mut encoder = Some(GzEncoder::new(Vec::new(), Compression::fast()));
    let frames = body.into_data_stream().ready_chunks(BATCH).map(Some).chain(futures::stream::once(async { None }));
    let compressed = frames.map(move |batch| -> std::io::Result<Bytes> {
        let Some(enc) = encoder.as_mut() else { return Ok(Bytes::new()) };
        match batch {
            Some(frames) => {
                for frame in frames {
                    enc.write_all(&frame.map_err(std::io::Error::other)?)?;
                }
                enc.flush()?;
                Ok(Bytes::from(std::mem::take(enc.get_mut())))
            }
            None => Ok(Bytes::from(encoder.take().map(GzEncoder::finish).transpose()?.unwrap_or_default())),
        }
    });
    Body::from_stream(compressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzDecoder;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts_coding("gzip, deflate, br, zstd", "br"));
        assert!(accepts_coding("gzip;q=0.8, BR;q=1.0", "br"));
        assert!(!accepts_coding("gzip, br;q=0", "br"));
        assert!(!accepts_coding("identity", "gzip"));
        assert!(!accepts_coding("", "gzip"));
    }

    /// Every batch decodes on its own arrival, before the stream ends, and
    /// the whole decodes to what was sent.
    #[tokio::test]
    async fn each_batch_can_be_decoded_as_it_arrives() {
        let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
        let mut out = gzip_stream(Body::from_stream(rx)).into_data_stream();
        let mut decoder = GzDecoder::new(Vec::new());
        let mut sent = String::new();
        for i in 0..20 {
            let frame = format!("id: {i}\ndata: {{\"id\":{i},\"stage\":\"respond\",\"model\":\"gpt-4o-mini\"}}\n\n");
            sent.push_str(&frame);
            tx.unbounded_send(Ok(Bytes::from(frame))).unwrap();
            let chunk = out.next().await.unwrap().unwrap();
            decoder.write_all(&chunk).unwrap();
            decoder.flush().unwrap();
            assert_eq!(String::from_utf8_lossy(decoder.get_ref()), sent, "after frame {i}");
        }
        drop(tx);
        while let Some(chunk) = out.next().await {
            decoder.write_all(&chunk.unwrap()).unwrap();
        }
        let whole = decoder.finish().unwrap();
        assert_eq!(String::from_utf8(whole).unwrap(), sent);
    }
}
