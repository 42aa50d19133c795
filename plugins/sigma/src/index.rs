//! Rules by log source and action, so an event is tried only against the rules that can
//! match it: those whose condition requires its action (looked up by the action in lower
//! case, as Sigma compares values case-insensitively), and those of its source that require
//! none. Adding rules for other actions costs an event nothing.

use std::collections::HashMap;

use crate::compile::Rule;

/// The rules of one log source.
#[derive(Debug, Default)]
pub struct SourceRules {
    /// Rule indexes by lower-cased action.
    by_action: HashMap<String, Vec<usize>>,
    /// The rules that can match any action.
    pub any_action: Vec<usize>,
}

impl SourceRules {
    /// The rules that need `action`, given in lower case.
    pub fn for_action(&self, action: &str) -> &[usize] {
        self.by_action.get(action).map_or(&[], Vec::as_slice)
    }
}

#[derive(Debug, Default)]
pub struct Index {
    sources: Vec<(&'static str, SourceRules)>,
}

impl Index {
    pub fn build(rules: &[Rule]) -> Self {
        let mut index = Index::default();
        for (i, rule) in rules.iter().enumerate() {
            let source = rule.kind.source();
            let at = match index.sources.iter().position(|(s, _)| *s == source) {
                Some(at) => at,
                None => {
                    index.sources.push((source, SourceRules::default()));
                    index.sources.len() - 1
                }
            };
            let bucket = &mut index.sources[at].1;
            match rule.actions() {
                Some(actions) => {
                    let mut lower: Vec<String> = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
                    lower.sort_unstable();
                    lower.dedup();
                    for action in lower {
                        bucket.by_action.entry(action).or_default().push(i);
                    }
                }
                None => bucket.any_action.push(i),
            }
        }
        index
    }

    pub fn source(&self, source: &str) -> Option<&SourceRules> {
        self.sources.iter().find(|(s, _)| *s == source).map(|(_, rules)| rules)
    }
}
