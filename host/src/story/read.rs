//! Finding the stories among OCSF Detection Findings: JSON lines as the sinks write them, or
//! the findings of a run. A finding carries its story as JSON text under
//! `evidences[0].data.story`; every revision of one story shares `finding_info.uid`, and the
//! highest revision is the one drawn.

use std::collections::BTreeMap;

use serde_json::Value;
use trailhound_sdk::story::{Story, StoryKind, STORY_EVIDENCE};
use trailhound_sdk::Severity;

/// A story to draw, with what its finding says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// `finding_info.uid`, shared by every revision.
    pub uid: String,
    pub title: String,
    pub severity: Severity,
    pub story: Story,
    /// The line (1-based) the drawn revision came from.
    pub line: usize,
}

/// What reading found: the stories, and the lines it passed over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stories {
    /// The latest revision of each story: storylines first, then composites, each by
    /// severity (highest first), then time, then uid.
    pub drawn: Vec<Drawn>,
    /// Lines that are not a JSON object.
    pub not_json: Vec<usize>,
    /// Findings that carry no story.
    pub without_story: Vec<usize>,
    /// Stories that do not parse: the line and why.
    pub broken: Vec<(usize, String)>,
}

impl Stories {
    /// The stories to draw: all of them, or the one of finding uid `uid`.
    ///
    /// # Errors
    /// No story has that uid; the message lists the uids there are.
    pub fn select(&self, uid: Option<&str>) -> Result<Vec<&Drawn>, String> {
        let Some(uid) = uid else { return Ok(self.drawn.iter().collect()) };
        match self.drawn.iter().find(|d| d.uid == uid) {
            Some(drawn) => Ok(vec![drawn]),
            None if self.drawn.is_empty() => {
                Err(format!("no story has uid {uid:?}: there is no story at all"))
            }
            None => {
                let uids: Vec<String> =
                    self.drawn.iter().map(|d| format!("{} ({:?})", d.uid, d.title)).collect();
                Err(format!("no story has uid {uid:?}; the stories there are: {}", uids.join(", ")))
            }
        }
    }
}

/// Reads JSON lines (blank lines are passed over without a count).
pub fn lines(bytes: &[u8]) -> Stories {
    let mut collector = Collector::default();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(value) if value.is_object() => collector.add(index + 1, &value),
            _ => collector.stories.not_json.push(index + 1),
        }
    }
    collector.finish()
}

/// Gathers findings one at a time (a file's lines, a run's detections).
#[derive(Debug, Clone, Default)]
pub struct Collector {
    latest: BTreeMap<String, Drawn>,
    stories: Stories,
}

impl Collector {
    /// Takes one OCSF Detection Finding, seen at `line`.
    pub fn add(&mut self, line: usize, finding: &Value) {
        let Some(text) = finding.pointer(&format!("/evidences/0/data/{STORY_EVIDENCE}")) else {
            self.stories.without_story.push(line);
            return;
        };
        let uid = finding.pointer("/finding_info/uid").and_then(Value::as_str).unwrap_or_default();
        let story = match text.as_str().ok_or_else(|| "the story is not JSON text".to_string()) {
            Ok(text) => Story::from_json(text),
            Err(error) => Err(error),
        };
        let story = match story {
            Ok(story) => story,
            Err(error) => {
                let uid = if uid.is_empty() { String::new() } else { format!(" of finding {uid}") };
                self.stories.broken.push((line, format!("the story{uid} does not parse: {error}")));
                return;
            }
        };
        // A finding without a uid still draws; its story's key tells its revisions apart.
        let uid = if uid.is_empty() { story.key.clone() } else { uid.to_string() };
        let drawn =
            Drawn { uid: uid.clone(), title: title(finding), severity: severity(finding), story, line };
        match self.latest.get(&uid) {
            // Equal revisions: the later line is the later report.
            Some(kept) if kept.story.revision > drawn.story.revision => {}
            _ => {
                self.latest.insert(uid, drawn);
            }
        }
    }

    /// The stories in drawing order.
    pub fn finish(mut self) -> Stories {
        let mut drawn: Vec<Drawn> = self.latest.into_values().collect();
        drawn.sort_by(|a, b| {
            kind_rank(a.story.kind)
                .cmp(&kind_rank(b.story.kind))
                .then(b.severity.cmp(&a.severity))
                .then(start(a).cmp(&start(b)))
                .then(a.uid.cmp(&b.uid))
        });
        self.stories.drawn = drawn;
        self.stories
    }
}

fn kind_rank(kind: StoryKind) -> u8 {
    match kind {
        StoryKind::Storyline => 0,
        StoryKind::Composite => 1,
    }
}

/// When the story began: its first step or hop.
pub fn start(drawn: &Drawn) -> i64 {
    span(&drawn.story).map_or(i64::MAX, |(first, _)| first)
}

/// The first and last time of the story's steps and hops.
pub fn span(story: &Story) -> Option<(i64, i64)> {
    let times = story.steps.iter().map(|s| s.time).chain(story.hops.iter().map(|h| h.time));
    times.fold(None, |span, t| match span {
        None => Some((t, t)),
        Some((first, last)) => Some((first.min(t), last.max(t))),
    })
}

fn title(finding: &Value) -> String {
    ["/finding_info/title", "/message"]
        .iter()
        .find_map(|path| finding.pointer(path).and_then(Value::as_str).filter(|t| !t.is_empty()))
        .unwrap_or("untitled finding")
        .to_string()
}

/// OCSF `severity_id` 1..=5; informational when absent or out of range.
fn severity(finding: &Value) -> Severity {
    match finding.get("severity_id").and_then(Value::as_u64) {
        Some(2) => Severity::Low,
        Some(3) => Severity::Medium,
        Some(4) => Severity::High,
        Some(5) => Severity::Critical,
        _ => Severity::Info,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn finding(uid: &str, revision: u32, kind: StoryKind, severity_id: u32) -> String {
        let story = Story { kind, key: format!("key-{uid}"), revision, ..Story::default() };
        json!({
            "severity_id": severity_id,
            "finding_info": { "uid": uid, "title": format!("story {uid}") },
            "evidences": [{ "data": { "story": story.to_json() } }],
        })
        .to_string()
    }

    #[test]
    fn the_latest_revision_is_drawn_and_storylines_come_first() {
        let text = [
            finding("c", 1, StoryKind::Composite, 5),
            finding("a", 1, StoryKind::Storyline, 3),
            finding("a", 3, StoryKind::Storyline, 4),
            finding("a", 2, StoryKind::Storyline, 4),
            finding("b", 1, StoryKind::Storyline, 5),
        ]
        .join("\n");
        let stories = lines(text.as_bytes());
        let order: Vec<(&str, u32)> =
            stories.drawn.iter().map(|d| (d.uid.as_str(), d.story.revision)).collect();
        assert_eq!(order, [("b", 1), ("a", 3), ("c", 1)]);
        assert_eq!(stories.drawn[1].line, 3);
        assert_eq!(stories.drawn[1].severity, Severity::High);
    }

    #[test]
    fn bad_lines_are_counted_by_kind() {
        let good = finding("a", 1, StoryKind::Storyline, 3);
        let broken = json!({ "finding_info": { "uid": "z" }, "evidences": [{ "data": { "story": "{\"version\": 99}" } }] });
        let text = format!("not json\n\n{good}\n{}\n[1]\n{broken}\n", json!({ "message": "plain finding" }));
        let stories = lines(text.as_bytes());
        assert_eq!(stories.drawn.len(), 1);
        assert_eq!(stories.not_json, [1, 5]);
        assert_eq!(stories.without_story, [4]);
        assert_eq!(stories.broken.len(), 1);
        assert_eq!(stories.broken[0].0, 6);
        assert!(stories.broken[0].1.contains("finding z"), "{:?}", stories.broken);
    }

    #[test]
    fn select_names_the_missing_uid_and_the_present_ones() {
        let stories = lines(finding("a", 1, StoryKind::Storyline, 3).as_bytes());
        assert_eq!(stories.select(Some("a")).unwrap().len(), 1);
        let error = stories.select(Some("nope")).unwrap_err();
        assert!(error.contains("\"nope\"") && error.contains("a (\"story a\")"), "{error}");
    }
}
