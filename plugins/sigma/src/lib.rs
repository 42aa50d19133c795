//! `sigma`: SigmaHQ rules for the cloud log sources trailhound reads (CloudTrail, GCP audit
//! logs, Azure activity logs, Entra ID sign-in and audit logs, Kubernetes audit logs), loaded
//! unmodified from the files the plugin's config names ([`load`]), compiled once
//! ([`compile`]) and indexed by action ([`index`]). Each rule whose condition an event
//! matches makes one finding: rule id the Sigma `id`, title the rule's, summary its
//! description, severity its `level`, techniques from its `attack.t*` tags, its other tags,
//! and the event cited.
//!
//! A rule this plugin cannot run (another log source, a modifier or condition it does not
//! implement) is refused with its reason in the [`load::Report`], never fatally.
//!
//! Once loaded, the plugin declares the raw fields its rules read (so the host projects
//! them), its sources, and (when every rule requires actions the provider names with a fixed
//! case) the actions, so the host sends no other events.

pub mod compile;
pub mod condition;
pub mod fields;
pub mod index;
pub mod load;
pub mod logsource;
pub mod matcher;
pub mod modifiers;
pub mod pattern;

use std::collections::BTreeSet;

use trailhound_sdk::prelude::*;
use trailhound_sdk::File;

use crate::compile::Rule;
use crate::index::Index;
use crate::load::{Loaded, Report};
use crate::matcher::Read;

#[derive(Default)]
pub struct Sigma {
    loaded: Loaded,
    index: Index,
    /// The event's action in lower case, reused across events.
    action: String,
}

impl Sigma {
    pub fn rules(&self) -> &[Rule] {
        &self.loaded.rules
    }

    /// What was loaded and refused, per log source.
    pub fn report(&self) -> &Report {
        &self.loaded.report
    }

    fn wants_raw(&self) -> bool {
        self.rules()
            .iter()
            .flat_map(|r| &r.selections)
            .flat_map(|s| &s.branches)
            .flatten()
            .any(|t| t.read == Read::Raw)
    }
}

impl Detector for Sigma {
    fn info() -> Info {
        Info::new("sigma", env!("CARGO_PKG_VERSION"))
    }

    fn declared(&self) -> Info {
        let mut info = self.loaded.paths.0.iter().fold(Self::info(), Info::field);
        if self.wants_raw() {
            info = info.raw();
        }
        let sources: BTreeSet<&str> = self.rules().iter().map(|r| r.kind.source()).collect();
        info = sources.into_iter().fold(info, Info::source);
        let actions = self.rules().iter().try_fold(BTreeSet::new(), |mut all, rule| {
            all.extend(rule.actions().filter(|_| rule.kind.actions_are_cased())?);
            Some(all)
        });
        match actions {
            Some(actions) if !actions.is_empty() => info.actions(actions),
            _ => info,
        }
    }

    fn load_files(&mut self, files: &[File]) -> Result<(), String> {
        self.loaded = load::load(files);
        self.index = Index::build(&self.loaded.rules);
        log(LogLevel::Info, &self.loaded.report.summary());
        Ok(())
    }

    fn on_event(&mut self, event: &Event<'_>, findings: &mut Vec<Finding>) {
        let Some(rules) = self.index.source(event.source()) else { return };
        self.action.clear();
        self.action.push_str(event.action());
        self.action.make_ascii_lowercase();
        for &i in rules.for_action(&self.action).iter().chain(&rules.any_action) {
            let rule = &self.loaded.rules[i];
            if rule.kind.service().is_some_and(|s| s != event.service()) || !rule.matches(event) {
                continue;
            }
            findings.push(finding(rule, event));
        }
    }
}

fn finding(rule: &Rule, event: &Event<'_>) -> Finding {
    let finding = Finding::new(&rule.id, &rule.title, rule.severity).summary(&rule.description).event(event);
    let finding = rule.techniques.iter().fold(finding, |f, t| f.technique(t));
    rule.tags.iter().fold(finding, |f, tag| f.tag(tag))
}

trailhound_sdk::export_detector!(Sigma);
