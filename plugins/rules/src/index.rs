//! Which rules an event can match, by its action: a rule whose condition names the actions it
//! matches ([`crate::condition::Matcher::actions`]) is tried only on events of those actions,
//! the others on every event, so the cost of an event follows the rules that can match it, not
//! how many rules are loaded. Candidates come in rule order, so findings keep that order.

use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default)]
pub struct ActionIndex {
    /// Per action, the rules of that action and the rules of every action, in rule order.
    by_action: HashMap<String, Vec<usize>>,
    /// The rules that do not name their actions.
    every_action: Vec<usize>,
}

impl ActionIndex {
    /// The index of rules whose actions are `actions[i]` (`None`: any action).
    pub fn new(actions: impl IntoIterator<Item = Option<BTreeSet<String>>>) -> ActionIndex {
        let mut by_action: HashMap<String, Vec<usize>> = HashMap::new();
        let mut every_action = Vec::new();
        for (rule, actions) in actions.into_iter().enumerate() {
            match actions {
                None => every_action.push(rule),
                Some(actions) => actions.into_iter().for_each(|a| by_action.entry(a).or_default().push(rule)),
            }
        }
        for rules in by_action.values_mut() {
            rules.extend(&every_action);
            rules.sort_unstable();
        }
        ActionIndex { by_action, every_action }
    }

    /// Every action some rule matches, sorted; `None` when a rule matches any action.
    pub fn actions(&self) -> Option<Vec<&str>> {
        if !self.every_action.is_empty() {
            return None;
        }
        let mut actions: Vec<&str> = self.by_action.keys().map(String::as_str).collect();
        actions.sort_unstable();
        Some(actions)
    }

    /// The rules an event of `action` can match, in rule order.
    pub fn candidates(&self, action: &str) -> &[usize] {
        self.by_action.get(action).map_or(&self.every_action, Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_gets_its_rules_and_the_rules_of_every_action_in_rule_order() {
        let set = |a: &[&str]| Some(a.iter().map(|s| s.to_string()).collect());
        let index =
            ActionIndex::new([set(&["StopLogging"]), None, set(&["StopLogging", "DeleteTrail"]), None]);
        assert_eq!(index.candidates("StopLogging"), [0, 1, 2, 3]);
        assert_eq!(index.candidates("DeleteTrail"), [1, 2, 3]);
        assert_eq!(index.candidates("ListBuckets"), [1, 3]);
        assert!(ActionIndex::new([set(&[])]).candidates("x").is_empty(), "a rule of no action never runs");
        assert_eq!(index.actions(), None, "a rule of any action needs every event");
        let named = ActionIndex::new([set(&["StopLogging"]), set(&["DeleteTrail", "StopLogging"])]);
        assert_eq!(named.actions(), Some(vec!["DeleteTrail", "StopLogging"]));
    }
}
