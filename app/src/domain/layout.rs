//! Lays the flow graph out in layers, left to right (or top to bottom on a
//! phone), from the observed transitions alone.
//!
//! Layers are longest paths from the entry stages over the graph with its
//! back edges (loops such as `tools → persona`) set aside, so a linear
//! pipeline reads as a line and a skipped stage (`persona → response` when a
//! turn needs no tools) arcs over the stage it skips. Ties keep first-seen
//! order, so nodes do not jump around as traffic arrives.

use super::flow::FlowGraph;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// Layers run left to right (desktop).
    Horizontal,
    /// Layers run top to bottom (phones).
    Vertical,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub name: String,
    /// Centre of the node.
    pub x: f64,
    pub y: f64,
    pub layer: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EdgePath {
    pub from: String,
    pub to: String,
    /// SVG path data.
    pub d: String,
    /// An edge that goes back to an earlier layer (a loop).
    pub back: bool,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub node_width: f64,
    pub node_height: f64,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<EdgePath>,
}

struct Metrics {
    node_w: f64,
    node_h: f64,
    /// Distance between layer centres.
    layer_step: f64,
    /// Distance between node centres within a layer.
    rank_step: f64,
    pad: f64,
    /// Room kept beside the nodes for arcs over skipped layers and loops.
    arc_room: f64,
}

fn metrics(o: Orientation) -> Metrics {
    match o {
        Orientation::Horizontal => {
            Metrics { node_w: 136.0, node_h: 60.0, layer_step: 190.0, rank_step: 96.0, pad: 16.0, arc_room: 56.0 }
        }
        Orientation::Vertical => {
            Metrics { node_w: 176.0, node_h: 56.0, layer_step: 96.0, rank_step: 200.0, pad: 12.0, arc_room: 56.0 }
        }
    }
}

fn index_of(graph: &FlowGraph, name: &str) -> Option<usize> {
    graph.nodes.iter().position(|node| node.name == name)
}

/// Assigns each node a layer: longest path over forward edges.
fn layers(graph: &FlowGraph) -> (Vec<usize>, Vec<bool>) {
    let n = graph.nodes.len();
    let index = |name: &str| index_of(graph, name);
    let adj: Vec<Vec<(usize, usize)>> = (0..n)
        .map(|i| {
            graph
                .edges
                .iter()
                .enumerate()
                .filter(|(_, e)| index(&e.from) == Some(i))
                .filter_map(|(k, e)| index(&e.to).map(|j| (j, k)))
                .collect()
        })
        .collect();

    // Depth-first search in first-seen order marks edges into the current
    // path as back edges; what is left is acyclic.
    let mut back = vec![false; graph.edges.len()];
    let mut state = vec![0u8; n]; // 0 new, 1 on path, 2 done
    let mut order = Vec::with_capacity(n); // reverse post-order = topological
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some((v, next)) = stack.pop() {
            if next < adj[v].len() {
                stack.push((v, next + 1));
                let (w, k) = adj[v][next];
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[k] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                order.push(v);
            }
        }
    }
    order.reverse();

    let mut layer = vec![0usize; n];
    for &v in &order {
        for &(w, k) in &adj[v] {
            if !back[k] {
                layer[w] = layer[w].max(layer[v] + 1);
            }
        }
    }
    (layer, back)
}

pub fn layout(graph: &FlowGraph, orientation: Orientation) -> Layout {
    let m = metrics(orientation);
    let (layer, back) = layers(graph);
    let layer_count = layer.iter().max().map_or(0, |l| l + 1);
    let mut per_layer: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    for (i, &l) in layer.iter().enumerate() {
        per_layer[l].push(i); // first-seen order within a layer
    }
    let widest = per_layer.iter().map(Vec::len).max().unwrap_or(0);

    // `along` runs with the layers, `across` within a layer.
    let along_size = m.pad * 2.0 + layer_count.saturating_sub(1) as f64 * m.layer_step + along_extent(&m, orientation);
    let across_span = widest.saturating_sub(1) as f64 * m.rank_step + across_extent(&m, orientation);
    // Room for arcs only on the sides that have them: skips arc before the
    // row of nodes (above, or left on a phone), loops after it.
    let skips = graph.edges.iter().enumerate().any(|(k, e)| {
        !back[k] && index_of(graph, &e.to).map(|t| layer[t]) != index_of(graph, &e.from).map(|f| layer[f] + 1)
    });
    let loops = back.iter().any(|&b| b);
    let room_before = if skips { m.arc_room } else { 0.0 };
    let room_after = if loops { m.arc_room } else { 0.0 };
    let across_size = m.pad * 2.0 + across_span + room_before + room_after;
    let centre_across = m.pad + room_before + across_span / 2.0;

    let mut nodes = Vec::with_capacity(graph.nodes.len());
    for (l, members) in per_layer.iter().enumerate() {
        let along = m.pad + along_extent(&m, orientation) / 2.0 + l as f64 * m.layer_step;
        let first = centre_across - (members.len() - 1) as f64 * m.rank_step / 2.0;
        for (rank, &i) in members.iter().enumerate() {
            let across = first + rank as f64 * m.rank_step;
            let (x, y) = match orientation {
                Orientation::Horizontal => (along, across),
                Orientation::Vertical => (across, along),
            };
            nodes.push(NodeBox { name: graph.nodes[i].name.clone(), x, y, layer: l });
        }
    }

    let find = |name: &str| nodes.iter().find(|n| n.name == name);
    let edges = graph
        .edges
        .iter()
        .enumerate()
        .filter_map(|(k, e)| {
            let (a, b) = (find(&e.from)?, find(&e.to)?);
            Some(EdgePath {
                from: e.from.clone(),
                to: e.to.clone(),
                d: edge_path(&m, orientation, a, b, back[k]),
                back: back[k],
                count: e.count,
            })
        })
        .collect();

    let (width, height) = match orientation {
        Orientation::Horizontal => (along_size, across_size),
        Orientation::Vertical => (across_size, along_size),
    };
    Layout { width, height, node_width: m.node_w, node_height: m.node_h, nodes, edges }
}

fn along_extent(m: &Metrics, o: Orientation) -> f64 {
    match o {
        Orientation::Horizontal => m.node_w,
        Orientation::Vertical => m.node_h,
    }
}

fn across_extent(m: &Metrics, o: Orientation) -> f64 {
    match o {
        Orientation::Horizontal => m.node_h,
        Orientation::Vertical => m.node_w,
    }
}

/// A straight-ish curve between neighbouring layers; an arc over the
/// skipped layers (or, for a loop, under them) otherwise.
fn edge_path(m: &Metrics, o: Orientation, a: &NodeBox, b: &NodeBox, back: bool) -> String {
    let half_along = along_extent(m, o) / 2.0;
    let half_across = across_extent(m, o) / 2.0;
    // Work in (along, across) coordinates, convert at the end.
    let (a_al, a_ac, b_al, b_ac) = match o {
        Orientation::Horizontal => (a.x, a.y, b.x, b.y),
        Orientation::Vertical => (a.y, a.x, b.y, b.x),
    };
    let span = b.layer as i64 - a.layer as i64;
    let pts: [(f64, f64); 4] = if !back && span == 1 {
        let (s, t) = (a_al + half_along, b_al - half_along);
        let mid = (s + t) / 2.0;
        [(s, a_ac), (mid, a_ac), (mid, b_ac), (t, b_ac)]
    } else {
        // Leave from the side facing the arc and come back to it, a quarter
        // in from the node's start (clear of the status badge).
        let dir = if back { 1.0 } else { -1.0 };
        let lift = m.arc_room - 8.0;
        let inset = half_along / 2.0;
        let s = (a_al - inset, a_ac + dir * half_across);
        let t = (b_al - inset, b_ac + dir * half_across);
        let peak = if back { a_ac.max(b_ac) + half_across + lift } else { a_ac.min(b_ac) - half_across - lift };
        [s, (s.0, peak), (t.0, peak), t]
    };
    let xy = |(al, ac): (f64, f64)| match o {
        Orientation::Horizontal => (al, ac),
        Orientation::Vertical => (ac, al),
    };
    let [p0, p1, p2, p3] = pts.map(xy);
    format!("M{:.1} {:.1} C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}", p0.0, p0.1, p1.0, p1.1, p2.0, p2.1, p3.0, p3.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use ::domain::testing::ev;

    fn graph(turns: &[&[&str]]) -> FlowGraph {
        let mut g = FlowGraph::default();
        let mut id = 0;
        for (t, stages) in turns.iter().enumerate() {
            for s in stages.iter() {
                id += 1;
                g.apply(&ev(id, "c", &t.to_string(), s, Status::Success));
            }
        }
        g
    }

    fn layer_of(l: &Layout, name: &str) -> usize {
        l.nodes.iter().find(|n| n.name == name).unwrap().layer
    }

    #[test]
    fn lays_a_pipeline_out_left_to_right_with_skips_in_their_place() {
        let g = graph(&[
            &["buffer", "intent", "persona", "response", "send"],
            &["buffer", "intent", "persona", "tools", "response", "send"],
        ]);
        let l = layout(&g, Orientation::Horizontal);
        let layers: Vec<_> =
            ["buffer", "intent", "persona", "tools", "response", "send"].iter().map(|s| layer_of(&l, s)).collect();
        assert_eq!(layers, [0, 1, 2, 3, 4, 5]);
        let xs: Vec<f64> = l.nodes.iter().map(|n| n.x).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "left to right: {xs:?}");
        assert!(l.nodes.iter().all(|n| n.x > 0.0 && n.x < l.width && n.y > 0.0 && n.y < l.height));
        assert!(l.edges.iter().all(|e| !e.back));
    }

    #[test]
    fn other_stage_names_and_loops_draw_without_configuration() {
        let g = graph(&[&["fetch", "plan", "act", "plan", "act", "answer"]]);
        let l = layout(&g, Orientation::Vertical);
        assert_eq!(layer_of(&l, "fetch"), 0);
        assert_eq!(layer_of(&l, "plan"), 1);
        assert_eq!(layer_of(&l, "act"), 2);
        assert_eq!(layer_of(&l, "answer"), 3);
        let back: Vec<_> = l.edges.iter().filter(|e| e.back).map(|e| (e.from.as_str(), e.to.as_str())).collect();
        assert_eq!(back, [("act", "plan")]);
        let ys: Vec<f64> = ["fetch", "plan", "act", "answer"]
            .iter()
            .map(|s| l.nodes.iter().find(|n| &n.name == s).unwrap().y)
            .collect();
        assert!(ys.windows(2).all(|w| w[0] < w[1]), "top to bottom: {ys:?}");
    }

    #[test]
    fn parallel_branches_share_a_layer() {
        let g = graph(&[&["in", "a", "out"], &["in", "b", "out"]]);
        let l = layout(&g, Orientation::Horizontal);
        assert_eq!(layer_of(&l, "a"), layer_of(&l, "b"));
        let find = |name: &str| l.nodes.iter().find(|n| n.name == name).unwrap();
        let (a, b) = (find("a"), find("b"));
        assert_eq!(a.x, b.x);
        assert_ne!(a.y, b.y);
    }

    #[test]
    fn arc_room_only_where_arcs_are() {
        let line = layout(&graph(&[&["a", "b", "c"]]), Orientation::Horizontal);
        let skip = layout(&graph(&[&["a", "b", "c"], &["a", "c"]]), Orientation::Horizontal);
        assert!(skip.height > line.height);
        // The skip arc stays inside the drawing, above the nodes.
        let top = skip.nodes.iter().map(|n| n.y).fold(f64::MAX, f64::min) - skip.node_height / 2.0;
        assert!(top > 40.0, "room above the nodes: {top}");
    }

    #[test]
    fn empty_graph_has_an_empty_layout() {
        let l = layout(&FlowGraph::default(), Orientation::Horizontal);
        assert!(l.nodes.is_empty() && l.edges.is_empty());
    }
}
