//! Where everything of a story goes on the graph: one lane per plane (host, kubernetes,
//! cloud, network, finding, top to bottom), nodes in columns by the time the trail first
//! reached them (a long trail wraps, like text, into bands of [`COLUMNS_PER_BAND`] columns
//! stacked top to bottom, each with its lanes, so it stays readable at a page's width), step markers numbered in time order inside the node they happened at, and
//! one arrow per pair of nodes a hop joined, its label put where it covers nothing else.
//!
//! Everything is computed from the story alone, in its order, so one story always lays out
//! the same; the sizes are in SVG user units (pixels at scale 1).

use std::collections::BTreeMap;

use trailhound_sdk::story::Story;

use super::markup::{clock, shorten, text_width};

/// The planes, in lane order from the top; a plane the story names that is not here gets a
/// lane after these.
pub const PLANES: [&str; 5] = ["host", "kubernetes", "cloud", "network", "finding"];

/// Columns side by side before the trail wraps into the next band: five fit a 1400-pixel
/// page at nearly full scale.
pub const COLUMNS_PER_BAND: usize = 5;
/// Left of the lanes: their names.
pub const GUTTER: f64 = 120.0;
const MARGIN: f64 = 20.0;
pub const NODE_WIDTH: f64 = 168.0;
/// Between columns: room for one hop label.
const COLUMN_GAP: f64 = 116.0;
/// The part of a node above its markers: its label and its kind.
pub const NODE_HEAD: f64 = 44.0;
/// Markers are laid out on a grid of this pitch inside the node.
const MARKER_PITCH: f64 = 22.0;
pub const MARKER_RADIUS: f64 = 9.0;
const MARKERS_PER_ROW: usize = 7;
/// Inside a lane, above and below its nodes: room for arrows that arch over a node.
const LANE_PAD: f64 = 26.0;
/// Between lanes: room for the label of an arrow from one lane to the next.
const LANE_GAP: f64 = 56.0;
pub const LABEL_FONT: f64 = 11.0;
pub const LABEL_LINE: f64 = 13.0;
/// Characters of a hop's `via` on its label (the full text is on hover).
const LABEL_CHARS: usize = 17;
/// Where on an arrow its label may go (fractions of the curve), best first, and how far
/// off the curve.
const LABEL_AT: [f64; 7] = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];
const LABEL_OFFSETS: [f64; 3] = [0.0, -20.0, 20.0];

/// An axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    pub fn centre_x(&self) -> f64 {
        self.x + self.w / 2.0
    }

    /// The area both boxes cover; 0 when they only touch.
    pub fn overlap(&self, other: &Rect) -> f64 {
        let w = self.right().min(other.right()) - self.x.max(other.x);
        let h = self.bottom().min(other.bottom()) - self.y.max(other.y);
        if w > 0.0 && h > 0.0 {
            w * h
        } else {
            0.0
        }
    }

    fn inside(&self, outer: &Rect) -> bool {
        self.x >= outer.x
            && self.y >= outer.y
            && self.right() <= outer.right()
            && self.bottom() <= outer.bottom()
    }
}

/// The laid-out graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub lanes: Vec<Lane>,
    /// One per [`Story::nodes`], in that order.
    pub nodes: Vec<Placed>,
    /// Indices into [`Story::steps`] in time order: step `n` (from 1) is `order[n - 1]`.
    pub order: Vec<usize>,
    pub markers: Vec<Marker>,
    pub arrows: Vec<Arrow>,
}

/// One plane's band.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub plane: String,
    pub top: f64,
    pub height: f64,
}

/// A node's box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub rect: Rect,
    pub lane: usize,
    /// The column in time order, over all bands.
    pub column: usize,
    pub band: usize,
}

/// A numbered step on its node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    /// From 1, in time order.
    pub number: usize,
    /// Index into [`Story::steps`].
    pub step: usize,
    pub x: f64,
    pub y: f64,
}

/// The hops from one node to another, drawn as one arrow.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    /// Indices into [`Story::hops`], in time order.
    pub hops: Vec<usize>,
    /// SVG path data of the curve.
    pub path: String,
    pub label: Rect,
    /// How and when, shortened: the full text is on hover.
    pub lines: [String; 2],
}

/// Lays out `story`.
pub fn layout(story: &Story) -> Layout {
    let ids = node_ids(story);
    let order = time_order(story);
    let at_node = steps_by_node(story, &ids, &order);
    let lanes = lane_planes(story);
    let lane_of: Vec<usize> =
        story.nodes.iter().map(|n| lanes.iter().position(|p| *p == n.plane).unwrap_or(0)).collect();
    let columns = columns(story, &ids, &lane_of);
    let heights: Vec<f64> = (0..story.nodes.len()).map(|i| node_height(at_node[i].len())).collect();

    let column_count = columns.iter().max().map_or(0, |c| c + 1);
    let bands = column_count.div_ceil(COLUMNS_PER_BAND).max(1);
    let band_of = |n: usize| columns[n] / COLUMNS_PER_BAND;
    // Each band has every lane, as tall as its tallest node there.
    let mut placed_lanes = Vec::new();
    let mut top = MARGIN;
    for band in 0..bands {
        for (index, plane) in lanes.iter().enumerate() {
            let tallest = (0..story.nodes.len())
                .filter(|n| lane_of[*n] == index && band_of(*n) == band)
                .map(|n| heights[n])
                .fold(NODE_HEAD, f64::max);
            let height = tallest + 2.0 * LANE_PAD;
            placed_lanes.push(Lane { plane: plane.clone(), top, height });
            top += height + LANE_GAP;
        }
    }
    let shown = column_count.min(COLUMNS_PER_BAND);
    let width = GUTTER + shown as f64 * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP + MARGIN;
    let height = if placed_lanes.is_empty() { 2.0 * MARGIN } else { top - LANE_GAP + MARGIN };

    let nodes: Vec<Placed> = (0..story.nodes.len())
        .map(|n| Placed {
            rect: Rect {
                x: GUTTER + (columns[n] % COLUMNS_PER_BAND) as f64 * (NODE_WIDTH + COLUMN_GAP),
                y: placed_lanes[band_of(n) * lanes.len() + lane_of[n]].top + LANE_PAD,
                w: NODE_WIDTH,
                h: heights[n],
            },
            lane: lane_of[n],
            column: columns[n],
            band: band_of(n),
        })
        .collect();

    let mut markers = Vec::new();
    for (node, steps) in at_node.iter().enumerate() {
        let rect = nodes[node].rect;
        let inset = (NODE_WIDTH - MARKERS_PER_ROW as f64 * MARKER_PITCH) / 2.0;
        for (k, (number, step)) in steps.iter().enumerate() {
            markers.push(Marker {
                number: *number,
                step: *step,
                x: rect.x + inset + MARKER_PITCH * ((k % MARKERS_PER_ROW) as f64 + 0.5),
                y: rect.y + NODE_HEAD + MARKER_PITCH * ((k / MARKERS_PER_ROW) as f64 + 0.5),
            });
        }
    }
    markers.sort_by_key(|m| m.number);

    let canvas = Rect { x: GUTTER - 10.0, y: 0.0, w: width - GUTTER + 10.0, h: height };
    let arrows = arrows(story, &ids, &nodes, canvas);
    Layout { width, height, lanes: placed_lanes, nodes, order, markers, arrows }
}

/// Node id → index; the first of two nodes with one id is the one hops and steps refer to.
fn node_ids(story: &Story) -> BTreeMap<&str, usize> {
    let mut ids = BTreeMap::new();
    for (index, node) in story.nodes.iter().enumerate() {
        ids.entry(node.id.as_str()).or_insert(index);
    }
    ids
}

/// Step indices by time, ties in the story's order.
pub fn time_order(story: &Story) -> Vec<usize> {
    let mut order: Vec<usize> = (0..story.steps.len()).collect();
    order.sort_by_key(|i| (story.steps[*i].time, *i));
    order
}

/// For each node, its steps as (number, step index), in time order.
fn steps_by_node(story: &Story, ids: &BTreeMap<&str, usize>, order: &[usize]) -> Vec<Vec<(usize, usize)>> {
    let mut at_node = vec![Vec::new(); story.nodes.len()];
    for (position, step) in order.iter().enumerate() {
        if let Some(node) = ids.get(story.steps[*step].node.as_str()) {
            at_node[*node].push((position + 1, *step));
        }
    }
    at_node
}

/// The planes that have a node, in lane order.
fn lane_planes(story: &Story) -> Vec<String> {
    let used = |plane: &str| story.nodes.iter().any(|n| n.plane == plane);
    let mut planes: Vec<String> = PLANES.iter().filter(|p| used(p)).map(|p| p.to_string()).collect();
    let mut others: Vec<String> =
        story.nodes.iter().map(|n| n.plane.clone()).filter(|p| !PLANES.contains(&p.as_str())).collect();
    others.sort();
    others.dedup();
    planes.extend(others);
    planes
}

/// Columns by first appearance: nodes in time order each take the current column when their
/// lane is free there, else the next, so time never runs backwards from left to right.
fn columns(story: &Story, ids: &BTreeMap<&str, usize>, lane_of: &[usize]) -> Vec<usize> {
    let mut first = vec![i64::MAX; story.nodes.len()];
    let mut seen = |id: &str, time: i64| {
        if let Some(node) = ids.get(id) {
            first[*node] = first[*node].min(time);
        }
    };
    for node in &story.nodes {
        if node.first_seen > 0 {
            seen(&node.id, node.first_seen);
        }
    }
    for hop in &story.hops {
        seen(&hop.from, hop.time);
        seen(&hop.to, hop.time);
    }
    for step in &story.steps {
        seen(&step.node, step.time);
    }
    let mut by_time: Vec<usize> = (0..story.nodes.len()).collect();
    by_time.sort_by_key(|n| (first[*n], *n));
    let mut columns = vec![0; story.nodes.len()];
    let mut lane_next: BTreeMap<usize, usize> = BTreeMap::new();
    let mut current = 0;
    for node in by_time {
        let free = lane_next.get(&lane_of[node]).copied().unwrap_or(0);
        current = current.max(free);
        columns[node] = current;
        lane_next.insert(lane_of[node], current + 1);
    }
    columns
}

fn node_height(markers: usize) -> f64 {
    let rows = markers.div_ceil(MARKERS_PER_ROW);
    NODE_HEAD + rows as f64 * MARKER_PITCH + if rows > 0 { 6.0 } else { 0.0 }
}

/// One arrow per (from, to) pair, in the order of its first hop; hops naming a node the
/// story does not have, or leading back to their own node, are listed but not drawn.
fn arrows(story: &Story, ids: &BTreeMap<&str, usize>, nodes: &[Placed], canvas: Rect) -> Vec<Arrow> {
    let mut hops: Vec<usize> = (0..story.hops.len()).collect();
    hops.sort_by_key(|i| (story.hops[*i].time, *i));
    let mut pairs: Vec<((usize, usize), Vec<usize>)> = Vec::new();
    for hop in hops {
        let (Some(from), Some(to)) =
            (ids.get(story.hops[hop].from.as_str()), ids.get(story.hops[hop].to.as_str()))
        else {
            continue;
        };
        if from == to {
            continue;
        }
        match pairs.iter_mut().find(|(pair, _)| *pair == (*from, *to)) {
            Some((_, list)) => list.push(hop),
            None => pairs.push(((*from, *to), vec![hop])),
        }
    }
    let mut taken: Vec<Rect> = nodes.iter().map(|n| n.rect).collect();
    let mut arrows = Vec::new();
    for ((from, to), hops) in pairs {
        let curve = curve(nodes, from, to);
        let lines = label_lines(story, &hops);
        let width =
            lines.iter().map(|l| text_width(l.chars().count(), LABEL_FONT)).fold(0.0, f64::max) + 10.0;
        let label = place_label(&curve, width, 2.0 * LABEL_LINE + 6.0, &taken, canvas);
        taken.push(label);
        arrows.push(Arrow { hops, path: curve.path(), label, lines });
    }
    arrows
}

/// A cubic Bézier curve.
struct Curve([(f64, f64); 4]);

impl Curve {
    fn at(&self, t: f64) -> (f64, f64) {
        let [p0, p1, p2, p3] = self.0;
        let u = 1.0 - t;
        let blend = |a: f64, b: f64, c: f64, d: f64| {
            u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d
        };
        (blend(p0.0, p1.0, p2.0, p3.0), blend(p0.1, p1.1, p2.1, p3.1))
    }

    fn path(&self) -> String {
        let [p0, p1, p2, p3] = self.0;
        format!(
            "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            p0.0, p0.1, p1.0, p1.1, p2.0, p2.1, p3.0, p3.1
        )
    }
}

/// Forward to a later column of the band: side to side. Within one column: top to bottom.
/// To another band: from the bottom of one to the top of the other. Back, or past other
/// nodes of the same lane: an arch over the nodes.
fn curve(nodes: &[Placed], from: usize, to: usize) -> Curve {
    let (a, b) = (nodes[from], nodes[to]);
    let head = |p: &Placed| p.rect.y + NODE_HEAD / 2.0;
    let blocked = a.lane == b.lane
        && nodes
            .iter()
            .any(|n| n.lane == a.lane && n.band == a.band && n.column > a.column && n.column < b.column);
    if a.band != b.band {
        let down = a.band < b.band;
        let p0 = (a.rect.centre_x(), if down { a.rect.bottom() } else { a.rect.y });
        let p3 = (b.rect.centre_x(), if down { b.rect.y } else { b.rect.bottom() });
        let bend = if down { LANE_GAP } else { -LANE_GAP };
        Curve([p0, (p0.0, p0.1 + bend), (p3.0, p3.1 - bend), p3])
    } else if b.column > a.column && !blocked {
        let (p0, p3) = ((a.rect.right(), head(&a)), (b.rect.x, head(&b)));
        let dx = (p3.0 - p0.0) / 2.0;
        Curve([p0, (p0.0 + dx, p0.1), (p3.0 - dx, p3.1), p3])
    } else if b.column == a.column {
        let down = a.rect.y < b.rect.y;
        let x = a.rect.centre_x();
        let p0 = (x, if down { a.rect.bottom() } else { a.rect.y });
        let p3 = (x, if down { b.rect.y } else { b.rect.bottom() });
        Curve([p0, p0, p3, p3])
    } else {
        let (p0, p3) = ((a.rect.centre_x(), a.rect.y), (b.rect.centre_x(), b.rect.y));
        let crest = a.rect.y.min(b.rect.y) - 2.0 * LANE_PAD;
        Curve([p0, (p0.0, crest), (p3.0, crest), p3])
    }
}

/// `via` and the time of the first hop (with how many more).
fn label_lines(story: &Story, hops: &[usize]) -> [String; 2] {
    let first = &story.hops[hops[0]];
    let same_via = hops.iter().all(|h| story.hops[*h].via == first.via);
    let via = if same_via { first.via.clone() } else { format!("{} …", first.via) };
    let when = match hops.len() {
        1 => clock(first.time),
        n => format!("{} ×{n}", clock(first.time)),
    };
    [shorten(&via, LABEL_CHARS), when]
}

/// The first spot along the curve where a `w`×`h` label covers nothing taken and stays on
/// the canvas; when there is none, the one that covers least.
fn place_label(curve: &Curve, w: f64, h: f64, taken: &[Rect], canvas: Rect) -> Rect {
    let mut best: Option<(f64, Rect)> = None;
    for t in LABEL_AT {
        let (x, y) = curve.at(t);
        for offset in LABEL_OFFSETS {
            let rect = Rect { x: x - w / 2.0, y: y + offset - h / 2.0, w, h };
            let covered: f64 = taken.iter().map(|r| r.overlap(&rect)).sum();
            let cost = covered + if rect.inside(&canvas) { 0.0 } else { w * h };
            if cost == 0.0 {
                return rect;
            }
            if best.is_none_or(|(least, _)| cost < least) {
                best = Some((cost, rect));
            }
        }
    }
    best.map_or(Rect { x: 0.0, y: 0.0, w, h }, |(_, rect)| rect)
}

#[cfg(test)]
pub(crate) mod tests {
    use trailhound_sdk::story::{Hop, Node, Step, StoryKind};
    use trailhound_sdk::Severity;

    use super::*;

    /// A storyline of `nodes` nodes in a chain across three planes with `steps` steps spread
    /// over them, as a storyline plugin would report a long trail.
    pub(crate) fn chain(nodes: usize, steps: usize) -> Story {
        let plane = |i: usize| ["host", "cloud", "cloud", "kubernetes"][i % 4];
        let nodes: Vec<Node> = (0..nodes)
            .map(|i| Node {
                id: format!("arn:aws:sts::111122223333:assumed-role/Role{i}/session-{i}"),
                label: format!("Role{i}/session-{i}"),
                kind: "role-session".into(),
                plane: plane(i).into(),
                account: "111122223333".into(),
                first_seen: 1_000_000 + i as i64 * 60_000,
            })
            .collect();
        let hops = (1..nodes.len())
            .map(|i| Hop {
                from: nodes[i - 1].id.clone(),
                to: nodes[i].id.clone(),
                via: "sts:AssumeRole".into(),
                time: 1_000_000 + i as i64 * 60_000,
                event_id: format!("hop-{i}"),
            })
            .collect();
        let steps = (0..steps)
            .map(|k| Step {
                time: 1_000_000 + k as i64 * 20_000,
                node: nodes[k * nodes.len() / steps.max(1)].id.clone(),
                label: format!("behavior {k}"),
                severity: Severity::ALL[k % 5],
                weight: 5,
                plane: "cloud".into(),
                event_ids: vec![format!("ev-{k}")],
                ..Step::default()
            })
            .collect();
        Story {
            kind: StoryKind::Storyline,
            key: "origin".into(),
            revision: 1,
            nodes,
            hops,
            steps,
            ..Story::default()
        }
    }

    #[test]
    fn ten_nodes_and_thirty_steps_overlap_nowhere() {
        let mut story = chain(10, 30);
        // A hop back to the origin and one skipping over nodes of its lane arch over them.
        story.hops.push(Hop {
            from: story.nodes[5].id.clone(),
            to: story.nodes[0].id.clone(),
            via: "ssm:StartSession".into(),
            time: 2_000_000,
            event_id: String::new(),
        });
        story.hops.push(Hop {
            from: story.nodes[1].id.clone(),
            to: story.nodes[9].id.clone(),
            via: "sts:AssumeRole".into(),
            time: 2_100_000,
            event_id: String::new(),
        });
        let layout = layout(&story);
        let boxes: Vec<Rect> =
            layout.nodes.iter().map(|n| n.rect).chain(layout.arrows.iter().map(|a| a.label)).collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert_eq!(a.overlap(b), 0.0, "{a:?} overlaps {b:?}");
            }
        }
        assert_eq!(layout.markers.len(), 30);
        assert_eq!(layout.arrows.len(), 11);
        for marker in &layout.markers {
            let node = &layout.nodes
                [story.nodes.iter().position(|n| n.id == story.steps[marker.step].node).unwrap()];
            let r = MARKER_RADIUS;
            assert!(Rect { x: marker.x - r, y: marker.y - r, w: 2.0 * r, h: 2.0 * r }.inside(&node.rect));
        }
        let numbers: Vec<usize> = layout.markers.iter().map(|m| m.number).collect();
        assert_eq!(numbers, (1..=30).collect::<Vec<_>>());
    }

    #[test]
    fn lanes_follow_the_planes_and_columns_follow_time() {
        let story = chain(4, 4);
        let layout = layout(&story);
        let planes: Vec<&str> = layout.lanes.iter().map(|l| l.plane.as_str()).collect();
        assert_eq!(planes, ["host", "kubernetes", "cloud"]);
        let columns: Vec<usize> = layout.nodes.iter().map(|n| n.column).collect();
        // host first; the two cloud nodes cannot share a column; kubernetes joins the last.
        assert_eq!(columns, [0, 0, 1, 1]);
    }

    #[test]
    fn a_long_trail_wraps_into_bands_that_each_fit_a_page() {
        // One lane, twelve nodes one after the other: three bands of at most five columns.
        let mut story = chain(12, 12);
        for node in &mut story.nodes {
            node.plane = "cloud".into();
        }
        let layout = layout(&story);
        let bands: Vec<usize> = layout.nodes.iter().map(|n| n.band).collect();
        assert_eq!(bands, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]);
        assert_eq!(layout.lanes.len(), 3, "the cloud lane once per band");
        assert!(layout.width < 1450.0, "{}", layout.width);
        assert!(layout
            .nodes
            .iter()
            .all(|n| n.rect.right() <= layout.width && n.rect.bottom() <= layout.height));
        assert_eq!(layout.nodes[5].rect.x, layout.nodes[0].rect.x, "a band starts at the left");
        assert!(layout.nodes[5].rect.y > layout.nodes[4].rect.bottom());
        // The hop from the end of a band to the start of the next goes down.
        let wrap = &layout.arrows[4];
        assert!(wrap.path.starts_with(&format!(
            "M{:.1},{:.1}",
            layout.nodes[4].rect.centre_x(),
            layout.nodes[4].rect.bottom()
        )));
    }

    #[test]
    fn an_empty_story_lays_out_to_an_empty_canvas() {
        let layout = layout(&Story::default());
        assert!(layout.nodes.is_empty() && layout.arrows.is_empty());
        assert!(layout.width > 0.0 && layout.height > 0.0);
    }
}
