//! The live stream, opened before the WASM arrives (server side only). On
//! a slow phone the main module takes about two seconds to cross the link,
//! and a stream opened once the page has hydrated costs one more round
//! trip before the page is live (docs/performance.md). So a page that
//! starts the live store while it renders gets, at the end of the
//! document, a small script that opens the very stream the store will ask
//! for and keeps what it receives; the hydrated store adopts it and
//! applies what was kept, in order (`sse::connect`). Nothing is lost
//! either way: events are applied by id, and a stream not adopted (another
//! URL, closed, or too much kept) is closed, and the store opens its own.
//!
//! Nothing here is in the WASM: a mark inside the hydrated page cost the
//! main module 715 bytes gzipped, over its budget; this costs none.

use super::LiveStore;
use leptos::prelude::*;
use std::task::Poll;

/// Opens the stream its element names (`data-stream`), keeps its events
/// (at most 5,000: past that it gives the stream up, and the store opens
/// its own), and defines `flowmeterAdopt(url)`, which `sse` calls once:
/// the stream if it is for `url` and not closed, its kept events
/// dispatched to it again, in order, once the caller's task is done; any
/// other is closed.
const SCRIPT: &str = r#"(() => {
  window.flowmeterAdopt = (url) => {
    const s = window.flowmeterStream;
    delete window.flowmeterStream;
    if (!s) return null;
    const kept = s.queue;
    s.queue = null;
    if (!kept || s.url !== url || s.es.readyState === EventSource.CLOSED) {
      s.es.close();
      return null;
    }
    // After the store has set its handlers (this runs inside its task),
    // before any newer event (a later task).
    queueMicrotask(() => kept.forEach((e) => s.es.dispatchEvent(e)));
    return s.es;
  };
  const s = { url: document.currentScript.dataset.stream, queue: [] };
  s.es = new EventSource(s.url);
  const keep = (e) => {
    if (!s.queue) return;
    s.queue.push(e);
    if (s.queue.length > 5000) {
      s.es.close();
      s.queue = null;
      delete window.flowmeterStream;
    }
  };
  s.es.onmessage = keep;
  s.es.addEventListener('alert', keep);
  window.flowmeterStream = s;
})();"#;

/// The early script, for the end of the server's document (the shell,
/// which the browser never renders: a page reached by navigation in the
/// browser has no such script). Only for a page that started the live
/// store while it rendered, with the URL the store will ask for: both are
/// known only once the page has rendered, so this waits to be an in-order
/// chunk of its own, rendered after every chunk ahead of it (all of
/// them, with `SsrMode::Async`). It carries the response's script nonce
/// (`server::http::headers`).
#[component]
pub fn EarlyStream() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let nonce = leptos::nonce::use_nonce();
    Suspend::new(async move {
        pending_once().await;
        live.started.get_untracked().then(|| {
            view! { <script nonce=nonce data-stream=live.stream_url() inner_html=SCRIPT></script> }
        })
    })
}

/// Not ready at its first poll, so the `Suspend` above is not rendered at
/// once, in its place, but as a chunk of its own, in order.
async fn pending_once() {
    let mut first = true;
    std::future::poll_fn(|cx| {
        if std::mem::take(&mut first) {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await
}
