//! `/pkg/…` and `/vendor/…`: the site's WASM, scripts and styles,
//! compressed once.
//!
//! The WASM is most of a first visit's bytes (the main module 1.1 MB raw,
//! a page's chunks up to 1.2 MB more; ECharts adds 1.1 MB on the cost
//! monitor). Compressing it
//! per request would cost every visit tens of milliseconds of CPU, and the
//! best brotli setting seconds, so each file is compressed once, in the
//! background, with brotli and gzip at their best settings, and served
//! from memory to clients that accept either. A server that is not a
//! production start (development, the end-to-end tests' half-dozen
//! servers) uses fast settings instead: a debug build's WASM is 7 MB, and
//! the best settings took 100 s of a core for three of its files, on
//! machines with two. One file at a time, and the
//! allocator's free pages go back to the system after each: brotli's best
//! setting holds tens of MB while it works, and with the 25 files of a
//! split build compressed at once a fresh server was at 83 MiB a moment
//! after its start. Until a file's compressed
//! copies are ready (just after a start, or after a rebuild changed it) it
//! is served as it is (so is a file over 8 MiB).
//! A file is known by its modification time and size,
//! which are also its ETag: names are not content-hashed, so browsers
//! revalidate (`no-cache`) and get a 304 when nothing changed.

use super::encoding::accepts;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

/// Files worth compressing, and their types.
const COMPRESSIBLE: [(&str, &str); 5] = [
    ("wasm", "application/wasm"),
    ("js", "text/javascript"),
    ("css", "text/css"),
    ("json", "application/json"),
    ("svg", "image/svg+xml"),
];

/// Larger files are served as they are.
pub const MAX_COMPRESSED: u64 = 8 << 20;

/// Marks an answer of [`Assets::serve`], compressed here or deliberately
/// not, so that no layer compresses it again (see `http::compress`).
#[derive(Clone, Copy, Debug)]
pub struct Served;

/// A file's identity: modification time (ns) and size.
type Stamp = (u128, u64);

/// A file's compressed copies.
struct Compressed {
    stamp: Stamp,
    br: Bytes,
    gzip: Bytes,
}

/// The site's files, and compressed copies of those under [`Assets::DIRS`],
/// shared by every request (a clone is a reference count).
#[derive(Clone, Default)]
pub struct Assets {
    /// The site root.
    dir: PathBuf,
    /// By path under `dir`: the copies made, or `None` while being made.
    cache: Arc<Mutex<HashMap<String, Option<Arc<Compressed>>>>>,
    /// Held while a file is being compressed.
    compressing: Arc<Mutex<()>>,
    /// Compress at the best settings (a production start), or fast ones.
    best: bool,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Assets {
    /// The site's directories served from here.
    pub const DIRS: [&str; 2] = ["pkg", "vendor"];

    /// Serves the files under `root`'s [`Assets::DIRS`]. A `production`
    /// start compresses those there now, at the best settings; any other
    /// compresses each when first asked for (tests start many servers that
    /// never serve the site), at fast ones.
    pub fn new(root: PathBuf, production: bool) -> Assets {
        let assets = Assets { dir: root, best: production, ..Assets::default() };
        for dir in Self::DIRS.into_iter().filter(|_| production) {
            let Ok(entries) = std::fs::read_dir(assets.dir.join(dir)) else { continue };
            for entry in entries.flatten() {
                if let (Some(name), Ok(stamp)) = (entry.file_name().to_str(), stamp_of(&entry.path())) {
                    assets.compress_later(&format!("{dir}/{name}"), stamp);
                }
            }
        }
        assets
    }

    /// Answers `GET /{name}` (`pkg/…` or `vendor/…`) with the best encoding
    /// `headers` accept.
    pub async fn serve(&self, name: &str, headers: &HeaderMap) -> Response {
        let Some(path) = self.path_of(name) else { return StatusCode::NOT_FOUND.into_response() };
        let Ok(stamp) = stamp_of(&path) else { return StatusCode::NOT_FOUND.into_response() };
        let content_type = content_type(name);
        let ready = self.ready(name, stamp);
        if ready.is_none() {
            self.compress_later(name, stamp);
        }
        let (encoding, body) = match &ready {
            Some(c) if accepts(headers, "br") => (Some("br"), Some(c.br.clone())),
            Some(c) if accepts(headers, "gzip") => (Some("gzip"), Some(c.gzip.clone())),
            _ => (None, None),
        };
        let etag = format!("\"{:x}-{:x}{}\"", stamp.0, stamp.1, encoding.map_or(String::new(), |e| format!("-{e}")));
        let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let body = match body {
                Some(b) => b,
                None => match tokio::fs::read(&path).await {
                    Ok(raw) => Bytes::from(raw),
                    Err(_) => return StatusCode::NOT_FOUND.into_response(),
                },
            };
            Body::from(body).into_response()
        };
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type.unwrap_or("application/octet-stream")));
        if content_type.is_some() {
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(e) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        response.extensions_mut().insert(Served);
        response
    }

    /// `name` under the site root, when it is a plain relative path into
    /// one of [`Assets::DIRS`].
    fn path_of(&self, name: &str) -> Option<PathBuf> {
        let plain = name.split('/').all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'));
        let served = Self::DIRS.iter().any(|d| name.strip_prefix(d).is_some_and(|rest| rest.starts_with('/')));
        (plain && served).then(|| self.dir.join(name))
    }

    /// The compressed copies of `name`, if made from this version of it.
    fn ready(&self, name: &str, stamp: Stamp) -> Option<Arc<Compressed>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(name).cloned().flatten().filter(|c| c.stamp == stamp)
    }

    /// Compresses `name` (this version of it) on a blocking thread, unless
    /// that is under way.
    fn compress_later(&self, name: &str, stamp: Stamp) {
        if content_type(name).is_none() || stamp.1 > MAX_COMPRESSED {
            return;
        }
        {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if matches!(cache.get(name), Some(None)) {
                return; // under way
            }
            cache.insert(name.to_string(), None);
        }
        let (assets, name, best) = (self.clone(), name.to_string(), self.best);
        let Some(path) = self.path_of(&name) else { return };
        tokio::task::spawn_blocking(move || {
            let one_at_a_time = assets.compressing.lock().unwrap_or_else(|p| p.into_inner());
            let made = std::fs::read(&path).ok().and_then(|raw| {
                // Made from what was read only if the file did not change meanwhile.
                let c = Compressed { stamp, br: brotli(&raw, best)?.into(), gzip: gzip(&raw, best)?.into() };
                (stamp_of(&path).ok() == Some(stamp)).then_some(c)
            });
            {
                let mut cache = assets.cache.lock().unwrap_or_else(|p| p.into_inner());
                match made {
                    Some(c) => cache.insert(name, Some(Arc::new(c))),
                    None => cache.remove(&name),
                };
            }
            drop(one_at_a_time);
            crate::tasks::memory::trim();
        });
    }
}

fn stamp_of(path: &Path) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a file"));
    }
    let modified = meta.modified()?.duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    Ok((modified, meta.len()))
}

fn content_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1;
    COMPRESSIBLE.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

fn brotli(raw: &[u8], best: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() / 3);
    let quality = if best { 11 } else { 4 };
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &raw[..], &mut out, &params).ok()?;
    Some(out)
}

fn gzip(raw: &[u8], best: bool) -> Option<Vec<u8>> {
    let level = if best { flate2::Compression::best() } else { flate2::Compression::fast() };
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 3), level);
    encoder.write_all(raw).ok()?;
    encoder.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn only_plain_relative_names_are_files() {
        let assets = Assets { dir: PathBuf::from("/site"), ..Assets::default() };
        assert_eq!(assets.path_of("pkg/app.wasm"), Some(PathBuf::from("/site/pkg/app.wasm")));
        assert_eq!(assets.path_of("pkg/snippets/x/a.js"), Some(PathBuf::from("/site/pkg/snippets/x/a.js")));
        assert_eq!(assets.path_of("vendor/echarts.min.js"), Some(PathBuf::from("/site/vendor/echarts.min.js")));
        for bad in ["", "pkg", "pkg/", "app.js", "other/a.js", "pkg/../secret", "pkg/a//b", "pkg/./a", "pkg/a\\..\\b"] {
            assert_eq!(assets.path_of(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_production_start_serves_files_compressed_once_ready_and_never_stale() {
        served_compressed_once_ready_and_never_stale(true).await;
    }

    #[tokio::test]
    async fn any_other_start_does_the_same_at_fast_settings() {
        served_compressed_once_ready_and_never_stale(false).await;
    }

    /// Served as is until the compressed copies are ready, then in the best
    /// encoding the client accepts, each decoding to the file; a changed
    /// file is never answered with the old copies; 304 when the ETag matches.
    async fn served_compressed_once_ready_and_never_stale(production: bool) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        let file = dir.path().join("pkg/app.js");
        let text = "export function hello() { return 'hello'; }\n".repeat(2_000);
        std::fs::write(&file, &text).unwrap();
        let assets = Assets::new(dir.path().to_path_buf(), production);
        let ask = |accept: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(accept));
            h
        };
        let body = |r: Response| async move { axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap() };

        // Whatever is ready, a response decodes to the file.
        let mut response = assets.serve("pkg/app.js", &ask("gzip, br")).await;
        while response.headers().get(header::CONTENT_ENCODING).is_none() {
            assert_eq!(response.status(), 200);
            assert_eq!(body(response).await, text.as_bytes(), "served as is while compressing");
            tokio::task::yield_now().await;
            response = assets.serve("pkg/app.js", &ask("gzip, br")).await;
        }
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/javascript");
        let etag = response.headers()[header::ETAG].clone();
        let br = body(response).await;
        assert!(br.len() < text.len() / 10, "compressed: {} of {}", br.len(), text.len());
        let mut decoded = String::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_string(&mut decoded).unwrap();
        assert_eq!(decoded, text);

        let gz = assets.serve("pkg/app.js", &ask("gzip")).await;
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&body(gz).await[..]).read_to_string(&mut decoded).unwrap();
        assert_eq!(decoded, text);
        let plain = assets.serve("pkg/app.js", &ask("identity")).await;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body(plain).await, text.as_bytes());

        let mut again = ask("gzip, br");
        again.insert(header::IF_NONE_MATCH, etag.clone());
        assert_eq!(assets.serve("pkg/app.js", &again).await.status(), StatusCode::NOT_MODIFIED);

        // A rebuild: the old copies are never served for the new file.
        let changed = "export const changed = true;\n".repeat(500);
        std::fs::write(&file, &changed).unwrap();
        let response = assets.serve("pkg/app.js", &again).await;
        assert_eq!(response.status(), 200, "the old ETag no longer matches");
        let encoding = response.headers().get(header::CONTENT_ENCODING).cloned();
        let bytes = body(response).await;
        match encoding {
            None => assert_eq!(bytes, changed.as_bytes()),
            Some(_) => panic!("compressed copies of the new file cannot be ready yet"),
        }
        assert_eq!(assets.serve("pkg/missing.js", &ask("br")).await.status(), 404);
        assert_eq!(assets.serve("pkg/../pkg/app.js", &ask("br")).await.status(), 404);
    }
}
