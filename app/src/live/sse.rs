//! The browser end of `GET /api/telemetry/stream`. The browser's EventSource
//! reconnects by itself after a network drop, sending `Last-Event-ID`; when
//! the server refuses the stream outright (closed state), we reopen it
//! ourselves after a pause, resuming after the last applied id. The first
//! connection of a page is usually the one its script opened before the
//! WASM arrived ([`super::early`]), adopted with what it received.

use super::{Connection, LiveStore};
use crate::api::codec::decode;
use crate::domain::alerts::AlertNotice;
use crate::domain::Event;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::prelude::*;
use web_sys::{EventSource, MessageEvent};

/// Pause before reopening a stream the server closed.
const REOPEN_AFTER_MS: u64 = 5_000;

pub fn connect(store: LiveStore) {
    let url = store.stream_url();
    let adopted = adopt_early(&url).ok().flatten();
    let Some(es) = adopted.or_else(|| EventSource::new(&url).ok()) else {
        store.connection.set(Connection::Offline);
        return;
    };
    let es = SendWrapper::new(es);

    let on_open = Closure::<dyn FnMut()>::new(move || store.connection.set(Connection::Live));
    es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();

    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
        let Some(data) = m.data().as_string() else { return };
        match decode::<Event>(&data) {
            Ok(e) => store.apply(e),
            Err(err) => leptos::logging::warn!("Ignoring an unreadable stream event: {err}"),
        }
    });
    es.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();

    let on_alert = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
        let Some(data) = m.data().as_string() else { return };
        if let Ok(notice) = decode::<AlertNotice>(&data) {
            store.alert(notice);
        }
    });
    let _ = es.add_event_listener_with_callback("alert", on_alert.as_ref().unchecked_ref());
    on_alert.forget();

    if es.ready_state() == EventSource::OPEN {
        store.connection.set(Connection::Live);
    }

    let source = es.clone();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        if source.ready_state() == EventSource::CLOSED {
            store.connection.set(Connection::Offline);
            source.close();
            set_timeout(move || connect(store), std::time::Duration::from_millis(REOPEN_AFTER_MS));
        } else {
            store.connection.set(Connection::Reconnecting);
        }
    });
    es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
}

#[wasm_bindgen]
extern "C" {
    /// The page's early stream (see [`early`](super::early)) when it is
    /// for this URL and not closed; any other is closed. Taken once. The
    /// events it kept are dispatched to it again once this task is done,
    /// so to the handlers set here, before any newer event. An error when
    /// the page has no such script.
    #[wasm_bindgen(catch, js_name = flowmeterAdopt)]
    fn adopt_early(url: &str) -> Result<Option<EventSource>, JsValue>;
}
