//! `rules`: Falco-compatible rules. Rule files (YAML lists of `rule`, `macro` and `list`
//! items, with Falco's appends, overrides and exceptions; files not named `.yaml` or `.yml`
//! are ignored) are read by [`load`], compiled once at configure time by [`compile`], and each
//! enabled rule whose condition an event matches makes one finding: rule id and title the
//! rule's name, summary its rendered `output`, severity its `priority`, its tags, the ATT&CK
//! techniques among them (`T1098.001`), and the event cited.
//!
//! Conditions name the model's fields, raw fields by JSONPath or JSON pointer, and the fields
//! of Falco's CloudTrail, Kubernetes audit and GCP audit plugins ([`fields`]), so existing
//! Falco rules files for those sources load unmodified. A rule's `source` (`aws_cloudtrail`,
//! `k8s_audit`, `gcp_auditlog`, or an event source's own name) selects the events it sees;
//! rules of other sources are skipped and reported, as Falco skips them.
//!
//! Each event is tried only on the rules that can match its action ([`index`]). The plugin
//! declares, once configured, the raw fields its rules read (so the host projects
//! them), the sources its rules name and, when every rule names the actions it matches, only
//! those actions.

pub mod compile;
pub mod condition;
pub mod fields;
pub mod index;
pub mod load;
pub mod output;
pub mod position;

use trailhound_sdk::prelude::*;
use trailhound_sdk::File;

use crate::compile::Rule;
use crate::index::ActionIndex;
use crate::load::Definitions;

#[derive(Default)]
pub struct Rules {
    definitions: Definitions,
    rules: Vec<Rule>,
    index: ActionIndex,
    skipped: Vec<String>,
}

impl Rules {
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules left out because no event has their source, each with its position.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The engine and plugin versions the rules files require (accepted, not enforced).
    pub fn requirements(&self) -> &[String] {
        &self.definitions.named.requirements
    }
}

impl Detector for Rules {
    fn info() -> Info {
        Info::new("rules", env!("CARGO_PKG_VERSION"))
    }

    fn declared(&self) -> Info {
        let mut info = Self::info();
        let mut fields = Vec::new();
        for rule in &self.rules {
            rule.matcher.fields(&mut fields);
            fields.extend(rule.output.fields());
        }
        let mut paths: Vec<&str> = fields.iter().flat_map(|f| f.paths()).collect();
        paths.sort_unstable();
        paths.dedup();
        info = paths.into_iter().fold(info, Info::field);
        if fields.iter().any(|f| f.wants_raw()) {
            info = info.raw();
        }
        let sources: Option<std::collections::BTreeSet<&str>> =
            self.rules.iter().map(|r| r.source.as_deref()).collect();
        if let Some(actions) = self.index.actions().filter(|a| !a.is_empty()) {
            info = info.actions(actions);
        }
        if let Some(sources) = sources.filter(|s| !s.is_empty()) {
            info = sources.into_iter().fold(info, Info::source);
        }
        info
    }

    fn load_files(&mut self, files: &[File]) -> Result<(), String> {
        let rules_files: Vec<File> = files.iter().filter(|f| is_rules_file(&f.path)).cloned().collect();
        self.definitions = Definitions::load(&rules_files)?;
        Ok(())
    }

    fn configure(&mut self, _config: &serde_json::Value) -> Result<(), String> {
        let compiled = compile::compile(&self.definitions)?;
        for skipped in &compiled.skipped {
            log(LogLevel::Warn, skipped);
        }
        self.index = ActionIndex::new(compiled.rules.iter().map(|r| r.matcher.actions()));
        self.rules = compiled.rules;
        self.skipped = compiled.skipped;
        Ok(())
    }

    fn on_event(&mut self, event: &Event<'_>, findings: &mut Vec<Finding>) {
        for rule in self.index.candidates(event.action()).iter().map(|&i| &self.rules[i]) {
            if rule.source.as_deref().is_some_and(|s| s != event.source()) || !rule.matcher.matches(event) {
                continue;
            }
            let finding = Finding::new(&rule.name, &rule.name, rule.severity)
                .summary(rule.output.render(event))
                .event(event);
            let finding = rule.tags.iter().fold(finding, |f, tag| f.tag(tag));
            findings.push(rule.techniques.iter().fold(finding, |f, id| f.technique(id)));
        }
    }
}

/// Whether a file the config names (or one found in a folder it names) is a rules file.
fn is_rules_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

trailhound_sdk::export_detector!(Rules);
