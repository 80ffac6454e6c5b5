//! The replay view's parts and the [`Player`] they share: the steps, the
//! position, and the playback settings. The player owns the clock (a
//! timeout per step, browser only) and the keyboard; the parts only read
//! its signals and call its methods.

pub mod controls;
pub mod details;
pub mod waterfall;

use crate::domain::replay::{delay_ms, Timing};
use crate::domain::Event;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Player {
    /// Every stage event of the conversation, in replay order.
    pub steps: RwSignal<Vec<Event>>,
    /// The current step (an index into `steps`).
    pub pos: RwSignal<usize>,
    pub len: Memo<usize>,
    pub playing: RwSignal<bool>,
    pub speed: RwSignal<u32>,
    pub timing: RwSignal<Timing>,
    /// Jump to new steps as they arrive live.
    pub follow: RwSignal<bool>,
    /// The event whose details are unfolded in its row (narrow screens).
    pub open: RwSignal<Option<i64>>,
}

impl Player {
    pub fn new(steps: RwSignal<Vec<Event>>, start: usize) -> Player {
        Player {
            steps,
            pos: RwSignal::new(start),
            len: Memo::new(move |_| steps.with(Vec::len)),
            playing: RwSignal::new(false),
            speed: RwSignal::new(1),
            timing: RwSignal::new(Timing::Compressed),
            follow: RwSignal::new(false),
            open: RwSignal::new(None),
        }
    }

    fn last(&self) -> usize {
        self.len.get_untracked().saturating_sub(1)
    }

    /// One step back or forward; stepping pauses playback.
    pub fn step(&self, by: i64) {
        self.playing.set(false);
        let to = (self.pos.get_untracked() as i64 + by).clamp(0, self.last() as i64);
        self.pos.set(to as usize);
    }

    /// Jumps to a step (playback carries on from there).
    pub fn seek(&self, to: usize) {
        self.pos.set(to.min(self.last()));
    }

    /// Play or pause; playing at the end starts over.
    pub fn toggle(&self) {
        if self.playing.get_untracked() {
            self.playing.set(false);
        } else {
            if self.pos.get_untracked() >= self.last() {
                self.pos.set(0);
            }
            self.playing.set(true);
        }
    }

    /// The event of the current step.
    pub fn current(&self) -> Option<Event> {
        self.steps.with(|s| s.get(self.pos.get()).cloned())
    }

    /// Browser only: advances while playing (each pause from the steps'
    /// own timing), and listens to the keyboard.
    pub fn run(self) {
        #[cfg(feature = "hydrate")]
        {
            use leptos::leptos_dom::helpers::{set_timeout_with_handle, window_event_listener, TimeoutHandle};
            let p = self;
            Effect::new(move |prev: Option<Option<TimeoutHandle>>| {
                if let Some(Some(h)) = prev {
                    h.clear();
                }
                if !p.playing.get() {
                    return None;
                }
                let (at, n) = (p.pos.get(), p.len.get());
                if at + 1 >= n {
                    p.playing.set(false);
                    return None;
                }
                let wait = p.steps.with(|s| delay_ms(&s[at], &s[at + 1], p.speed.get(), p.timing.get()));
                set_timeout_with_handle(move || p.pos.set(at + 1), std::time::Duration::from_millis(wait as u64)).ok()
            });
            // While playing, keep the current row in view (the phone's
            // timeline is taller than the screen).
            Effect::new(move |_| {
                let at = p.pos.get();
                if !p.playing.get_untracked() {
                    return;
                }
                let Some(id) = p.steps.with_untracked(|s| s.get(at).map(|e| e.id)) else { return };
                let el = document().query_selector(&format!(".waterfall [data-event-id=\"{id}\"]")).ok().flatten();
                if let Some(el) = el {
                    let opts = web_sys::ScrollIntoViewOptions::new();
                    opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
                    el.scroll_into_view_with_scroll_into_view_options(&opts);
                }
            });
            let keys = window_event_listener(leptos::ev::keydown, move |ev| {
                use wasm_bindgen::JsCast;
                let typing = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
                if typing || ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
                    return;
                }
                match ev.key().as_str() {
                    " " => p.toggle(),
                    "ArrowRight" => p.step(1),
                    "ArrowLeft" => p.step(-1),
                    "Home" => p.step(i64::MIN / 2),
                    "End" => p.step(i64::MAX / 2),
                    _ => return,
                }
                ev.prevent_default();
            });
            on_cleanup(move || keys.remove());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (self, delay_ms);
    }
}
