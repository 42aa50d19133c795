//! The graph of one story as inline SVG, drawn from its [`Layout`]: lane bands, arrows with
//! their labels, nodes coloured by the worst step on them, numbered step markers. Every
//! drawn thing has an SVG `<title>` child, so ids, times and details show on hover.

use std::fmt::Write;

use trailhound_sdk::story::Story;

use super::layout::{self, Layout, LABEL_FONT, LABEL_LINE, MARKER_RADIUS, NODE_HEAD};
use super::markup::{escape, shorten, timestamp};
use super::palette::{colours, Colours, QUIET};

/// Characters of a node's label and kind line inside its box.
const NODE_LABEL_CHARS: usize = 19;
const NODE_KIND_CHARS: usize = 26;

/// The graph of `story`; `id` tells this page's graphs apart (their arrowhead markers).
pub fn graph(story: &Story, id: usize) -> String {
    let layout = layout::layout(story);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" style="min-width:{min:.0}px" role="img" font-family="DejaVu Sans, Verdana, sans-serif">"#,
        w = layout.width,
        h = layout.height,
        // Scaled down to the page's width, but never so far that the text cannot be read.
        min = layout.width * 0.6,
    );
    let _ = write!(
        out,
        r##"<defs><marker id="arrow-{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker></defs>"##
    );
    lanes(&mut out, &layout);
    arrows(&mut out, story, &layout, id);
    nodes(&mut out, story, &layout);
    markers(&mut out, story, &layout);
    out.push_str("</svg>");
    out
}

fn lanes(out: &mut String, layout: &Layout) {
    for (index, lane) in layout.lanes.iter().enumerate() {
        let fill = if index % 2 == 0 { "#fafafa" } else { "#f3f6f9" };
        let _ = write!(
            out,
            r##"<rect x="0" y="{y:.1}" width="{w:.0}" height="{h:.1}" fill="{fill}" stroke="#e0e0e0"/><text x="12" y="{ty:.1}" font-size="13" font-weight="bold" fill="#546e7a">{name}</text>"##,
            y = lane.top,
            w = layout.width,
            h = lane.height,
            ty = lane.top + 24.0,
            name = escape(&lane.plane),
        );
    }
}

fn arrows(out: &mut String, story: &Story, layout: &Layout, id: usize) {
    for arrow in &layout.arrows {
        let mut hover = String::new();
        for hop in &arrow.hops {
            let hop = &story.hops[*hop];
            let _ = writeln!(hover, "{} → {}", hop.from, hop.to);
            let _ = write!(hover, "{} at {}", hop.via, timestamp(hop.time));
            if !hop.event_id.is_empty() {
                let _ = write!(hover, " (event {})", hop.event_id);
            }
            hover.push('\n');
        }
        let hover = escape(hover.trim_end());
        let l = arrow.label;
        let _ = write!(
            out,
            r##"<g class="hop"><title>{hover}</title><path d="{d}" fill="none" stroke="#455a64" stroke-width="1.6" marker-end="url(#arrow-{id})"/><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="#b0bec5"/><text x="{cx:.1}" y="{t1:.1}" font-size="{font}" text-anchor="middle" fill="#263238">{via}</text><text x="{cx:.1}" y="{t2:.1}" font-size="{font}" text-anchor="middle" fill="#607d8b">{when}</text></g>"##,
            d = arrow.path,
            x = l.x,
            y = l.y,
            w = l.w,
            h = l.h,
            cx = l.centre_x(),
            t1 = l.y + 3.0 + LABEL_LINE - 2.0,
            t2 = l.y + 3.0 + 2.0 * LABEL_LINE - 2.0,
            font = LABEL_FONT,
            via = escape(&arrow.lines[0]),
            when = escape(&arrow.lines[1]),
        );
    }
}

fn nodes(out: &mut String, story: &Story, layout: &Layout) {
    for (index, (node, placed)) in story.nodes.iter().zip(&layout.nodes).enumerate() {
        let worst = story.steps.iter().filter(|s| s.node == node.id).map(|s| s.severity).max();
        let colour = worst.map_or(QUIET, colours);
        let r = placed.rect;
        let mut hover = format!("{}\n{} on the {} plane", node.id, node.kind, node.plane);
        if !node.account.is_empty() {
            let _ = write!(hover, ", account {}", node.account);
        }
        if node.first_seen > 0 {
            let _ = write!(hover, "\nfirst seen {}", timestamp(node.first_seen));
        }
        if let Some(worst) = worst {
            let _ = write!(hover, "\nworst step: {worst}");
        }
        let kind = if node.account.is_empty() {
            node.kind.clone()
        } else {
            format!("{} · {}", node.kind, node.account)
        };
        let label = if node.label.is_empty() { &node.id } else { &node.label };
        let _ = write!(
            out,
            r##"<g class="node"><title>{hover}</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/><text x="{tx:.1}" y="{t1:.1}" font-size="13" font-weight="bold" fill="#212121">{label}</text><text x="{tx:.1}" y="{t2:.1}" font-size="10.5" fill="#616161">{kind}</text></g>"##,
            hover = escape(&hover),
            x = r.x,
            y = r.y,
            w = r.w,
            h = r.h,
            fill = colour.tint,
            stroke = colour.strong,
            // The origin stands out: every other node was reached from it.
            sw = if index == 0 { 4 } else { 2 },
            tx = r.x + 10.0,
            t1 = r.y + 19.0,
            t2 = r.y + NODE_HEAD - 9.0,
            label = escape(&shorten(label, NODE_LABEL_CHARS)),
            kind = escape(&shorten(&kind, NODE_KIND_CHARS)),
        );
        if index == 0 {
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{y:.1}" font-size="10" font-weight="bold" fill="#37474f">ORIGIN</text>"##,
                x = r.x + 2.0,
                y = r.y - 5.0,
            );
        }
    }
}

fn markers(out: &mut String, story: &Story, layout: &Layout) {
    for marker in &layout.markers {
        let step = &story.steps[marker.step];
        let Colours { strong, on_strong, .. } = colours(step.severity);
        let _ = write!(
            out,
            r#"<g class="step"><title>{hover}</title><circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{strong}"/><text x="{x:.1}" y="{ty:.1}" font-size="{font}" font-weight="bold" text-anchor="middle" fill="{on_strong}">{n}</text></g>"#,
            hover = escape(&step_hover(marker.number, step)),
            x = marker.x,
            y = marker.y,
            r = MARKER_RADIUS,
            ty = marker.y + 3.5,
            font = if marker.number < 100 { 10 } else { 8 },
            n = marker.number,
        );
    }
}

/// `#3 2026-11-03 10:04:12Z  reconnaissance burst` and the rest of what a step says.
fn step_hover(number: usize, step: &trailhound_sdk::story::Step) -> String {
    let mut text = format!("#{number} {}  {}\nseverity {}", timestamp(step.time), step.label, step.severity);
    if step.weight > 0 {
        let _ = write!(text, ", weight {}", step.weight);
    }
    if let (Some(reporter), Some(rule)) = (&step.reporter, &step.rule) {
        let _ = write!(text, "\nfinding of {reporter}: {rule}");
    }
    if !step.techniques.is_empty() {
        let _ = write!(text, "\ntechniques {}", step.techniques.join(", "));
    }
    if !step.event_ids.is_empty() {
        let _ = write!(text, "\nevents {}", step.event_ids.join(", "));
    }
    text
}
