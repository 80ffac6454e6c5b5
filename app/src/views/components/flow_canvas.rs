//! The flow canvas: the pipeline as an SVG graph drawn from the data. Two
//! drawings share one store — left-to-right for wide screens, top-to-bottom
//! for phones — and CSS shows the one that fits. Nodes are keyed by stage
//! name, so a live event only touches its own node: the node's status badge
//! and count update, and a pulse plays once. The same canvas draws one
//! conversation's path in the replay: laid out from the whole conversation,
//! coloured by the steps seen so far, the current stage highlighted.

use crate::domain::flow::{FlowGraph, NodeState, StageNode};
use crate::domain::layout::{layout, Layout, Orientation};
use crate::live::LiveStore;
use crate::views::components::info_cards::format_ms;
use crate::views::erased::{erase, keyed_rows, Row, RowKey};
use leptos::prelude::*;

/// Stage names longer than this are cut on the node (the tooltip has all).
const NAME_CHARS: usize = 16;

/// What a canvas draws.
#[derive(Clone, Copy)]
pub struct CanvasFeed {
    /// Places the nodes and edges (a replay passes the whole conversation,
    /// so nothing moves while stepping).
    pub layout: Signal<FlowGraph>,
    /// Counts, durations and states (a replay: the steps seen so far).
    pub graph: Signal<FlowGraph>,
    /// The clock nodes go idle by; `None`: they never do.
    pub now: Option<Signal<i64>>,
    /// Events above this id pulse their node; `None`: no pulses.
    pub pulse_after: Option<Signal<Option<i64>>>,
    /// A replay's current stage; `Some` also marks visited edges.
    pub current: Option<Signal<Option<String>>>,
}

impl CanvasFeed {
    /// The live pipeline of the tab's store.
    pub fn live(live: LiveStore) -> CanvasFeed {
        let graph = Signal::derive(move || live.graph.get());
        CanvasFeed {
            layout: graph,
            graph,
            now: Some(live.now.into()),
            pulse_after: Some(live.seeded_id.into()),
            current: None,
        }
    }
}

#[component]
pub fn FlowCanvas(
    feed: CanvasFeed,
    selected: RwSignal<Option<String>>,
    #[prop(into)] hint: Signal<String>,
) -> impl IntoView {
    let has_nodes = move || feed.layout.with(|g| !g.nodes.is_empty());
    erase(view! {
        <section class="panel canvas-panel" aria-label="Pipeline flow">
            <header class="panel-head">
                <h2>"Pipeline flow"</h2>
                <p class="hint">{hint}</p>
            </header>
            <Show when=has_nodes fallback=EmptyFlow>
                <div class="canvas-scroll">
                    <FlowSvg orientation=Orientation::Horizontal feed selected/>
                    <FlowSvg orientation=Orientation::Vertical feed selected/>
                </div>
            </Show>
        </section>
    })
}

#[component]
fn EmptyFlow() -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-title">"No events yet"</p>
            <p>"The canvas draws itself from the stages your pipeline reports. Send one:"</p>
            <pre class="code">
                "curl -X POST http://127.0.0.1:3000/api/events \\\n  -H 'X-API-Key: <your key>' -H 'Content-Type: application/json' \\\n  -d '{\"chatId\":\"demo\",\"stage\":\"intent\",\"durationMs\":120}'"
            </pre>
        </div>
    }
}

#[component]
fn FlowSvg(orientation: Orientation, feed: CanvasFeed, selected: RwSignal<Option<String>>) -> impl IntoView {
    let layout = Memo::new(move |_| feed.layout.with(|g| layout(g, orientation)));
    let (class, marker) = match orientation {
        Orientation::Horizontal => ("flow flow-h", "arrow-h"),
        Orientation::Vertical => ("flow flow-v", "arrow-v"),
    };
    let view_box = move || layout.with(|l| format!("0 0 {:.0} {:.0}", l.width, l.height));
    let edges = move || {
        layout.with(|l| {
            l.edges
                .iter()
                .map(|e| {
                    let (from, to) = (e.from.clone(), e.to.clone());
                    Row::new(
                        RowKey::Pair(from.clone(), to.clone()),
                        move || view! { <FlowEdge from to layout marker feed/> },
                    )
                })
                .collect()
        })
    };
    let nodes = move || {
        layout.with(|l| {
            l.nodes
                .iter()
                .map(|n| {
                    let name = n.name.clone();
                    Row::new(RowKey::Name(name.clone()), move || view! { <FlowNode name layout selected feed/> })
                })
                .collect()
        })
    };

    view! {
        <svg
            class=class
            viewBox=view_box
            style=move || layout.with(|l| format!("--flow-w:{:.0}px", l.width))
            role="group"
            aria-label="Pipeline stages and transitions"
        >
            <defs>
                <marker id=marker viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" class="arrow"></path>
                </marker>
            </defs>
            <g class="edges">
                {keyed_rows(edges)}
            </g>
            <g class="nodes">
                {keyed_rows(nodes)}
            </g>
        </svg>
    }
}

#[component]
fn FlowEdge(from: String, to: String, layout: Memo<Layout>, marker: &'static str, feed: CanvasFeed) -> impl IntoView {
    let edge = {
        let (from, to) = (from.clone(), to.clone());
        Memo::new(move |_| {
            layout.with(|l| l.edges.iter().find(|e| e.from == from && e.to == to).map(|e| (e.d.clone(), e.back)))
        })
    };
    let count = {
        let (from, to) = (from.clone(), to.clone());
        move || feed.graph.with(|g| g.edges.iter().find(|t| t.from == from && t.to == to).map_or(0, |t| t.count))
    };
    let count_visited = count.clone();
    let visited = move || feed.current.is_some() && count_visited() > 0;
    let label = format!("{from} → {to}");
    view! {
        <path
            class="edge"
            class:back=move || edge.with(|e| e.as_ref().is_some_and(|(_, back)| *back))
            class:visited=visited
            d=move || edge.with(|e| e.as_ref().map(|(d, _)| d.clone()).unwrap_or_default())
            marker-end=format!("url(#{marker})")
            data-from=from
            data-to=to
        >
            <title>{move || format!("{label}: {} transitions", count())}</title>
        </path>
    }
}

#[component]
fn FlowNode(name: String, layout: Memo<Layout>, selected: RwSignal<Option<String>>, feed: CanvasFeed) -> impl IntoView {
    let node = {
        let name = name.clone();
        Memo::new(move |_| feed.graph.with(|g| g.node(&name).cloned()))
    };
    let pos = {
        let name = name.clone();
        Memo::new(move |_| layout.with(|l| l.nodes.iter().find(|n| n.name == name).map_or((0.0, 0.0), |n| (n.x, n.y))))
    };
    let (w, h) = layout.with_untracked(|l| (l.node_width, l.node_height));
    let state = move || match feed.now {
        Some(now) => {
            let now = now.get();
            node.with(|n| n.as_ref().map_or(NodeState::Idle, |n| n.state(now)))
        }
        None => node.with(|n| n.as_ref().map_or(NodeState::Pending, StageNode::status_state)),
    };
    let is_current = {
        let name = name.clone();
        move || feed.current.is_some_and(|c| c.with(|c| c.as_deref() == Some(name.as_str())))
    };
    let is_selected = {
        let name = name.clone();
        move || selected.with(|s| s.as_deref() == Some(name.as_str()))
    };
    let toggle = {
        let name = name.clone();
        move || selected.update(|s| *s = if s.as_deref() == Some(name.as_str()) { None } else { Some(name.clone()) })
    };
    let toggle_key = toggle.clone();
    // A pulse only for events that arrived live (not for the snapshot), so a
    // page load does not flash every node. Re-created per event: the CSS
    // animation plays once each time.
    let pulse = move || {
        let seeded = feed.pulse_after?.get().unwrap_or(i64::MAX);
        node.with(|n| n.as_ref().map(|n| n.last_event_id))
            .filter(|&id| id > seeded)
            .map(|id| view! { <rect class="pulse" data-event=id width=w height=h rx="10"></rect> })
    };
    let short = shorten(&name);
    let tooltip = {
        let name = name.clone();
        move || node.with(|n| n.as_ref().map(describe).unwrap_or_else(|| format!("{name}: no events yet")))
    };
    let count = move || node.with(|n| n.as_ref().map_or(0, |n| n.count));
    let avg = move || {
        node.with(|n| n.as_ref().and_then(StageNode::avg_duration_ms).map(|ms| format!(" · {}", format_ms(ms))))
    };
    let badge_w = move || state().as_str().len() as f64 * 6.6 + 14.0;
    let label = {
        let (short, tooltip) = (short.clone(), tooltip.clone());
        move || format!("{short} {}{} {}. {}", count(), avg().unwrap_or_default(), state().as_str(), tooltip())
    };

    view! {
        <g
            class="node"
            class:selected=is_selected
            class:current=is_current.clone()
            aria-current=move || is_current().then_some("step")
            data-stage=name.clone()
            data-status=move || state().as_str()
            transform=move || {
                let (x, y) = pos.get();
                format!("translate({:.1} {:.1})", x - w / 2.0, y - h / 2.0)
            }
            tabindex="0"
            role="button"
            // The text it shows (what a speech-input user says to press
            // it), then the tooltip's details.
            aria-label=label
            on:click=move |_| toggle()
            on:keydown=move |ev| {
                if ev.key() == "Enter" || ev.key() == " " {
                    ev.prevent_default();
                    toggle_key();
                }
            }
        >
            // The hover tooltip; hidden from the accessibility tree, where
            // `aria-label` says the same.
            <title aria-hidden="true">{tooltip.clone()}</title>
            <rect class="node-box" width=w height=h rx="10"></rect>
            {pulse}
            <g class="badge" transform=move || format!("translate({:.1} -9)", w - badge_w() - 8.0)>
                <rect width=badge_w height="18" rx="9"></rect>
            </g>
            // One text element, its parts apart by spaces, so the text the
            // node shows reads "intent 12 · 310 ms success" (and the name
            // above starts with exactly that).
            <text class="node-text">
                <tspan class="node-name" x="12" y="23">{short.clone()}</tspan>
                " "
                <tspan class="node-meta" x="12" y=h - 14.0>
                    <tspan class="node-count">{count}</tspan>
                    {avg}
                </tspan>
                " "
                <tspan class="badge-text" x=move || w - 8.0 - badge_w() / 2.0 y="4" text-anchor="middle">
                    {move || state().as_str()}
                </tspan>
            </text>
        </g>
    }
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= NAME_CHARS {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(NAME_CHARS - 1).collect();
        s.push('…');
        s
    }
}

fn describe(n: &StageNode) -> String {
    let avg = n.avg_duration_ms().map(|ms| format!(", average {}", format_ms(ms))).unwrap_or_default();
    format!("{}: {} events, {} errors{avg}; last {}", n.name, n.count, n.errors, n.last_status.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn shortens_long_stage_names() {
        assert_eq!(super::shorten("intent"), "intent");
        assert_eq!(super::shorten("a-very-long-stage-name"), "a-very-long-sta…");
    }
}
