//! The page: one self-contained HTML document (inline CSS and SVG, no script, nothing
//! fetched) with a section per story — a header, the severity legend, the graph, the table
//! of steps and the sensitive resources the trail reached.

use std::fmt::Write;

use trailhound_sdk::story::{Story, StoryKind};
use trailhound_sdk::Severity;

use super::layout::time_order;
use super::markup::{duration, escape, shorten, timestamp};
use super::palette::colours;
use super::read::{span, Drawn};
use super::svg;

/// Characters of a node id in the steps table (the full id is on hover).
const TABLE_ID_CHARS: usize = 40;
/// Event ids of a step listed in its row; the rest are on hover.
const SHOWN_IDS: usize = 6;

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:24px;color:#212121;background:#fff}\
h1{font-size:20px;margin:0 0 16px}h2{font-size:18px;margin:0 0 8px}\
section{border-top:2px solid #cfd8dc;padding:16px 0 32px}\
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0 0 10px;font-size:13px}\
dl.facts dt{color:#607d8b}dl.facts dd{margin:0;word-break:break-all}\
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:bold}\
.legend{font-size:12px;color:#455a64;margin:6px 0}.legend span{margin-right:12px}\
.swatch{display:inline-block;width:12px;height:12px;border-radius:6px;vertical-align:-2px;margin-right:4px}\
.scroll{overflow-x:auto;border:1px solid #e0e0e0;border-radius:6px}svg.graph{display:block;width:100%;height:auto}\
table{border-collapse:collapse;font-size:12px;margin-top:12px}\
th,td{border:1px solid #e0e0e0;padding:3px 8px;text-align:left;vertical-align:top}th{background:#eceff1}\
td.ids{font-family:'DejaVu Sans Mono',monospace;font-size:11px;word-break:break-all;max-width:360px}\
p.note{color:#607d8b;font-size:12px}";

/// The page for `stories` read from `source` (a file name, or what the run read).
pub fn page(stories: &[&Drawn], source: &str) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(
        out,
        "<title>trailhound story: {}</title><style>{STYLE}</style></head><body>",
        escape(&page_title(stories))
    );
    let _ = write!(out, "<h1>{}</h1>", escape(&page_title(stories)));
    let _ = write!(out, "<p class=\"note\">From {}.</p>", escape(source));
    for (index, drawn) in stories.iter().enumerate() {
        section(&mut out, drawn, index);
    }
    out.push_str("</body></html>\n");
    out
}

fn page_title(stories: &[&Drawn]) -> String {
    match stories {
        [one] => one.title.clone(),
        many => format!("{} stories", many.len()),
    }
}

fn section(out: &mut String, drawn: &Drawn, index: usize) {
    let story = &drawn.story;
    let _ = write!(out, "<section id=\"story-{index}\"><h2>{}</h2>", escape(&drawn.title));
    header(out, drawn);
    legend(out);
    let _ = write!(out, "<div class=\"scroll\">{}</div>", svg::graph(story, index));
    steps(out, story);
    sensitive(out, story);
    out.push_str("</section>");
}

fn header(out: &mut String, drawn: &Drawn) {
    let story = &drawn.story;
    let kind = match story.kind {
        StoryKind::Storyline => "storyline",
        StoryKind::Composite => "composite alert",
    };
    out.push_str("<dl class=\"facts\">");
    fact(out, "kind", &escape(kind));
    fact(out, "severity", &badge(drawn.severity));
    fact(out, "key", &escape(&story.key));
    if story.threshold > 0 || story.risk > 0 {
        let verdict = if story.risk >= story.threshold { "reached" } else { "below" };
        fact(
            out,
            "risk",
            &escape(&format!("{} against a threshold of {} ({verdict})", story.risk, story.threshold)),
        );
    }
    fact(out, "revision", &story.revision.to_string());
    if let Some((first, last)) = span(story) {
        let text = format!("{} to {} ({})", timestamp(first), timestamp(last), duration(last - first));
        fact(out, "time span", &escape(&text));
    }
    let counts =
        format!("{} nodes, {} hops, {} steps", story.nodes.len(), story.hops.len(), story.steps.len());
    fact(out, "trail", &escape(&counts));
    fact(out, "finding uid", &escape(&drawn.uid));
    out.push_str("</dl>");
}

/// One `<dt>`/`<dd>` pair; `html` is already escaped.
fn fact(out: &mut String, name: &str, html: &str) {
    let _ = write!(out, "<dt>{name}</dt><dd>{html}</dd>");
}

fn badge(severity: Severity) -> String {
    let c = colours(severity);
    format!("<span class=\"badge\" style=\"background:{};color:{}\">{severity}</span>", c.strong, c.on_strong)
}

fn legend(out: &mut String) {
    out.push_str("<div class=\"legend\">");
    for severity in Severity::ALL.iter().rev() {
        let _ = write!(
            out,
            "<span><i class=\"swatch\" style=\"background:{}\"></i>{severity}</span>",
            colours(*severity).strong
        );
    }
    out.push_str(
        "<span>· numbered circles: the steps in time order · a node is tinted by its worst step · \
         hover for ids, times and details</span></div>",
    );
}

fn steps(out: &mut String, story: &Story) {
    if story.steps.is_empty() {
        return;
    }
    out.push_str(
        "<table class=\"steps\"><tr><th>#</th><th>time</th><th>node</th><th>what</th><th>weight</th>\
         <th>severity</th><th>event ids</th></tr>",
    );
    for (position, index) in time_order(story).iter().enumerate() {
        let step = &story.steps[*index];
        let node = story.nodes.iter().find(|n| n.id == step.node);
        let name = node.map_or(step.node.as_str(), |n| if n.label.is_empty() { &n.id } else { &n.label });
        let mut what = escape(&step.label);
        if let (Some(reporter), Some(rule)) = (&step.reporter, &step.rule) {
            let _ = write!(what, "<br><small>finding of {}: {}</small>", escape(reporter), escape(rule));
        }
        if !step.techniques.is_empty() {
            let _ = write!(what, "<br><small>{}</small>", escape(&step.techniques.join(", ")));
        }
        let _ = write!(
            out,
            "<tr><td>{n}</td><td>{time}</td><td title=\"{id}\">{name}</td><td>{what}</td><td>{weight}</td><td>{badge}</td><td class=\"ids\">{ids}</td></tr>",
            n = position + 1,
            time = escape(&timestamp(step.time)),
            id = escape(&step.node),
            name = escape(&shorten(name, TABLE_ID_CHARS)),
            weight = step.weight,
            badge = badge(step.severity),
            ids = event_ids(&step.event_ids),
        );
    }
    out.push_str("</table>");
}

/// The first [`SHOWN_IDS`] event ids of a step, and how many more there are; all of them on
/// hover.
fn event_ids(ids: &[String]) -> String {
    let shown = escape(&ids.iter().take(SHOWN_IDS).cloned().collect::<Vec<_>>().join(", "));
    match ids.len().saturating_sub(SHOWN_IDS) {
        0 => shown,
        more => format!("<span title=\"{}\">{shown} … and {more} more</span>", escape(&ids.join(", "))),
    }
}

fn sensitive(out: &mut String, story: &Story) {
    if !story.sensitive.is_empty() {
        out.push_str(
            "<table class=\"sensitive\"><tr><th>sensitive resource</th><th>reach</th><th>event id</th></tr>",
        );
        for near in &story.sensitive {
            let _ = write!(
                out,
                "<tr><td class=\"ids\">{}</td><td>{}</td><td class=\"ids\">{}</td></tr>",
                escape(&near.resource),
                escape(&near.reach),
                escape(&near.event_id)
            );
        }
        out.push_str("</table>");
    }
    if !story.resources.is_empty() {
        out.push_str("<table class=\"resources\"><tr><th>resources touched</th></tr>");
        for resource in &story.resources {
            let _ = write!(out, "<tr><td class=\"ids\">{}</td></tr>", escape(resource));
        }
        out.push_str("</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_lists_a_few_event_ids_and_the_rest_on_hover() {
        let few: Vec<String> = (0..3).map(|i| format!("e-{i}")).collect();
        assert_eq!(event_ids(&few), "e-0, e-1, e-2");
        let many: Vec<String> = (0..10).map(|i| format!("e<{i}")).collect();
        let cell = event_ids(&many);
        assert!(cell.ends_with("e&lt;5 … and 4 more</span>"), "{cell}");
        assert!(cell.contains("title=\"e&lt;0, e&lt;1") && cell.contains("e&lt;9\""), "{cell}");
    }
}
