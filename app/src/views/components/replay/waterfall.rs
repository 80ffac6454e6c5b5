//! The waterfall: one row per stage event, its bar placed by start and
//! length on the conversation's time axis, so slow stages stand out. Rows
//! already played are solid, the current one is outlined, the rest are
//! faint. Clicking a row moves the replay there and shows its details (in
//! the side panel on wide screens, unfolded under the row otherwise). On a
//! phone (≤ 480 px) the same rows become a vertical timeline.
//!
//! Rows are keyed by event id, so live events only add rows, and each row
//! compares its own (ts, id) with the current step's: stepping through a
//! thousand events touches no list.

use super::details::EventDetails;
use super::Player;
use crate::domain::replay::{axis as time_axis, turn_marks, Axis};
use crate::domain::Event;
use crate::views::components::info_cards::format_ms;
use leptos::prelude::*;

/// Where a row stands relative to the current step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Played,
    Current,
    Ahead,
}

#[component]
pub fn Waterfall(player: Player, admin: bool) -> impl IntoView {
    let steps = player.steps;
    // The whole conversation's time axis; every bar is placed on it.
    let axis = Memo::new(move |_| steps.with(|s| time_axis(s)));
    let current = Memo::new(move |_| player.steps.with(|s| s.get(player.pos.get()).map(|e| (e.ts, e.id))));
    // Turn numbers in order of first appearance, and which rows open a turn.
    let rows = move || {
        steps.with(|s| s.iter().zip(turn_marks(s)).map(|(e, (n, opens))| (e.clone(), n, opens)).collect::<Vec<_>>())
    };
    let ticks = move || {
        let span = axis.get().span_ms.max(1);
        (0..=4).map(|k| (k * 25, format_ms(span * k / 4))).collect::<Vec<_>>()
    };

    view! {
        <section class="panel waterfall-panel" aria-labelledby="waterfall-title">
            <header class="panel-head">
                <h2 id="waterfall-title">"Stages"</h2>
                <p class="hint">"Bars show each stage's start and duration. Click one for its details."</p>
            </header>
            <div class="axis" aria-hidden="true">
                <span class="axis-track">
                    {move || ticks().into_iter().map(|(pct, label)| view! { <span class="tick" style=format!("left: {pct}%")>{label}</span> }).collect_view()}
                </span>
            </div>
            <ol class="waterfall">
                <For
                    each=rows
                    key=|(e, _, opens)| (e.id, *opens)
                    children=move |(e, turn, opens)| view! { <StepRow e turn opens axis current player admin/> }
                />
            </ol>
        </section>
    }
    .into_any()
}

#[component]
fn StepRow(
    e: Event,
    turn: usize,
    opens: bool,
    axis: Memo<Axis>,
    current: Memo<Option<(i64, i64)>>,
    player: Player,
    admin: bool,
) -> impl IntoView {
    let key = (e.ts, e.id);
    let phase = Memo::new(move |_| match current.get() {
        Some(c) if c == key => Phase::Current,
        Some(c) if key < c => Phase::Played,
        _ => Phase::Ahead,
    });
    let dur = e.duration_ms.unwrap_or(0);
    let ts = e.ts;
    let bar = Memo::new(move |_| axis.with(|a| a.bar(ts, dur)));
    let bar_style = move || bar.with(|b| format!("left: {:.3}%; width: {:.3}%", b.left_pct, b.width_pct));
    let offset = move || format!("+{}", format_ms(bar.with(|b| b.offset_ms)));
    let id = e.id;
    let e_details = e.clone();
    let seek = move |_| {
        let at = player.steps.with_untracked(|s| s.iter().position(|x| x.id == id));
        if let Some(at) = at {
            player.playing.set(false);
            player.seek(at);
            player.open.update(|o| *o = if *o == Some(id) { None } else { Some(id) });
        }
    };
    let turn_label = match e.turn_id.as_deref() {
        Some(t) if !t.is_empty() => format!("Turn {turn} · {t}"),
        _ => format!("Turn {turn}"),
    };
    view! {
        <li
            class=format!("step status-{}", e.status.as_str())
            class:turn-start=opens
            class:played=move || phase.get() == Phase::Played
            class:current=move || phase.get() == Phase::Current
            class:ahead=move || phase.get() == Phase::Ahead
            data-event-id=id
            data-stage=e.stage.clone()
            data-status=e.status.as_str()
        >
            {opens.then(|| view! { <p class="turn-label">{turn_label}</p> })}
            <button
                class="step-hit"
                on:click=seek
                aria-current=move || (phase.get() == Phase::Current).then_some("step")
                aria-expanded=move || (player.open.get() == Some(id)).to_string()
            >
                <span class="step-name">
                    <span class="dot" aria-hidden="true"></span>
                    <span class="stage">{e.stage.clone()}</span>
                    {(e.status != crate::domain::Status::Success).then(|| view! { <span class="status-pill">{e.status.as_str()}</span> })}
                </span>
                <span class="step-time">
                    <span class="offset">{offset}</span>
                    <span class="dur">{format_ms(dur)}</span>
                </span>
                <span class="track" aria-hidden="true">
                    <span class="bar" style=bar_style></span>
                </span>
            </button>
            {move || (player.open.get() == Some(id)).then(|| {
                let e = e_details.clone();
                view! { <div class="step-details" data-details>
                    <EventDetails e admin/>
                </div> }
            })}
        </li>
    }
}
