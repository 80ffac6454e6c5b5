//! The browser end of `GET /api/telemetry/stream`. The browser's EventSource
//! reconnects by itself after a network drop, sending `Last-Event-ID`; when
//! the server refuses the stream outright (closed state), we reopen it
//! ourselves after a pause, resuming after the last applied id.

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
    // A page that rendered events (or has applied some) resumes after them.
    // Any other (the cost monitor, the admin area, a replay) starts with
    // the latest few: `after=0` would replay the whole store into the page.
    let seen = store.last_id.get_untracked();
    let url = if seen > 0 || store.scope.get_untracked().is_some() {
        format!("/api/telemetry/stream?after={seen}")
    } else {
        "/api/telemetry/stream".to_string()
    };
    let Ok(es) = EventSource::new(&url) else {
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
