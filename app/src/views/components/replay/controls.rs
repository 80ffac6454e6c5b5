//! The replay's transport: step back, play/pause, step forward, the scrub
//! bar, speed, timing and "follow live". On a phone it is a bar along the
//! bottom edge, every button a thumb-sized target.

use super::Player;
use crate::domain::replay::{Timing, SPEEDS};
use leptos::prelude::*;

#[component]
pub fn Controls(player: Player) -> impl IntoView {
    let Player { pos, len, playing, speed, timing, follow, .. } = player;
    let last = move || len.get().saturating_sub(1);
    view! {
        <div class="replay-controls" role="toolbar" aria-label="Replay controls">
            <div class="transport">
                <button class="button icon" aria-label="Step back" title="Step back (←)" disabled=move || pos.get() == 0 on:click=move |_| player.step(-1)>
                    <Icon d="M6 5h2v14H6zM20 5v14L9 12z"/>
                </button>
                <button
                    class="button icon primary play"
                    aria-label=move || if playing.get() { "Pause" } else { "Play" }
                    title="Play / pause (space)"
                    on:click=move |_| player.toggle()
                >
                    {move || if playing.get() { view! { <Icon d="M7 5h4v14H7zM13 5h4v14h-4z"/> } } else { view! { <Icon d="M7 4v16l13-8z"/> } }}
                </button>
                <button class="button icon" aria-label="Step forward" title="Step forward (→)" disabled=move || { pos.get() >= last() } on:click=move |_| player.step(1)>
                    <Icon d="M16 5h2v14h-2zM4 5v14l11-7z"/>
                </button>
                <span class="step-count" aria-live="polite" data-step-count>
                    {move || format!("{} / {}", (pos.get() + 1).min(len.get()), len.get())}
                </span>
            </div>
            <input
                class="scrub"
                type="range"
                min="0"
                max=move || last().to_string()
                prop:value=move || pos.get().to_string()
                aria-label="Scrub"
                on:input:target=move |ev| {
                    if let Ok(i) = ev.target().value().parse::<usize>() {
                        player.seek(i);
                    }
                }
            />
            <div class="options">
                <div class="segmented" role="group" aria-label="Speed">
                    {SPEEDS
                        .into_iter()
                        .map(|s| view! {
                            <button class="seg" data-speed=s aria-pressed=move || (speed.get() == s).to_string() on:click=move |_| speed.set(s)>
                                {format!("{s}×")}
                            </button>
                        })
                        .collect_view()}
                </div>
                <label class="check" title="Real gaps between stages, or gaps compressed to 0.25–1 s">
                    <input
                        type="checkbox"
                        prop:checked=move || timing.get() == Timing::Real
                        on:change:target=move |ev| timing.set(if ev.target().checked() { Timing::Real } else { Timing::Compressed })
                    />
                    "real time"
                </label>
                <label class="check" title="Jump to new stages as they arrive">
                    <input type="checkbox" prop:checked=move || follow.get() on:change:target=move |ev| follow.set(ev.target().checked())/>
                    "follow live"
                </label>
            </div>
        </div>
    }
    .into_any()
}

/// A 24×24 icon from one path (fonts on these machines lack media glyphs).
#[component]
fn Icon(d: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d=d fill="currentColor"></path>
        </svg>
    }
}
