//! Named scenarios: ordered stages an attack goes through, each matched by rule-id glob, tag
//! or technique (and, to keep a stage to what it means, by plane and reporter). A chain whose
//! findings match every stage in time order is that scenario, and its alert is raised one
//! severity level. One scenario ships by default ([`Scenario::shipped`]): the issue's example
//! of a compromised container host whose credentials go on to steal a database.

use serde::Deserialize;

use crate::chain::Step;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// An id, used as a tag of the alert (`scenario:NAME`).
    pub name: String,
    /// What the alert title says.
    pub title: String,
    pub stages: Vec<Stage>,
}

/// One stage. A finding matches it when it is of one of `planes` and `reporters` (any when
/// empty) and its rule id matches one of `rules` (globs, `*` and `?`, case-insensitive), or
/// it has one of `tags`, or one of `techniques` (`T1552` also matches `T1552.005`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub techniques: Vec<String>,
    #[serde(default)]
    pub planes: Vec<String>,
    #[serde(default)]
    pub reporters: Vec<String>,
}

/// The planes a stage may name.
const PLANES: [&str; 4] = ["cloud", "kubernetes", "network", "host"];

impl Scenario {
    /// The scenario that ships: a container escapes to its host (Falco), the host's
    /// credentials then run discovery calls (across many regions), a privileged role is
    /// assumed, and database snapshots are created or shared.
    pub fn shipped() -> Scenario {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let stage = |name: &str, planes: &[&str], rules: &[&str], tags: &[&str], techniques: &[&str]| Stage {
            name: name.into(),
            rules: strings(rules),
            tags: strings(tags),
            techniques: strings(techniques),
            planes: strings(planes),
            reporters: Vec::new(),
        };
        Scenario {
            name: "container-escape-to-snapshot-exfiltration".into(),
            title: "Container escape to database snapshot exfiltration".into(),
            stages: vec![
                stage("container escape on a host", &["host"], &["*escape*"], &[], &["T1611"]),
                stage(
                    "the host's credentials used for discovery",
                    &["cloud"],
                    &["*region*", "*discovery*", "*recon*"],
                    &["mitre_discovery"],
                    &["T1580", "T1526", "T1087", "T1069", "T1619"],
                ),
                stage(
                    "a privileged role assumed",
                    &["cloud"],
                    &["*assume*", "*privileged*role*"],
                    &["mitre_privilege_escalation"],
                    &["T1548.005"],
                ),
                stage(
                    "database snapshots created or shared",
                    &["cloud"],
                    &["*snapshot*"],
                    &[],
                    &["T1537", "T1578.001"],
                ),
            ],
        }
    }

    /// Checks what serde cannot.
    ///
    /// # Errors
    /// A scenario without a name, title or stages; a stage that matches nothing or names an
    /// unknown plane. The message names the scenario and stage.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || self.title.is_empty() {
            return Err("a scenario needs a name and a title".into());
        }
        if self.stages.is_empty() {
            return Err(format!("scenario {:?} has no stages", self.name));
        }
        for stage in &self.stages {
            let at = format!("scenario {:?} stage {:?}", self.name, stage.name);
            if stage.rules.is_empty() && stage.tags.is_empty() && stage.techniques.is_empty() {
                return Err(format!("{at} matches nothing: give it rules, tags or techniques"));
            }
            if let Some(plane) = stage.planes.iter().find(|p| !PLANES.contains(&p.as_str())) {
                return Err(format!("{at} names plane {plane:?}; planes are {}", PLANES.join(", ")));
            }
        }
        Ok(())
    }

    /// Whether `steps` (in time order) match every stage in order, each step at most one stage.
    pub fn matched(&self, steps: &[Step]) -> bool {
        let mut stages = self.stages.iter().peekable();
        for step in steps {
            if stages.next_if(|stage| stage.matches(step)).is_some() && stages.peek().is_none() {
                return true;
            }
        }
        false
    }
}

impl Stage {
    pub fn matches(&self, step: &Step) -> bool {
        let among = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        if !among(&self.planes, &step.plane) || !among(&self.reporters, &step.reporter) {
            return false;
        }
        self.rules.iter().any(|pattern| glob(pattern, &step.rule))
            || self.tags.iter().any(|tag| step.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)))
            || self.techniques.iter().any(|id| step.techniques.iter().any(|t| technique_within(t, id)))
    }
}

/// `technique` is `id` or one of its sub-techniques.
fn technique_within(technique: &str, id: &str) -> bool {
    technique.strip_prefix(id).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Case-insensitive glob: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is tried from.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((at, from)) => {
                    p = at + 1;
                    t = from + 1;
                    star = Some((at, from + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailhound_sdk::Severity;

    fn step(plane: &str, rule: &str, tags: &[&str], techniques: &[&str]) -> Step {
        Step {
            reporter: "r".into(),
            rule: rule.into(),
            title: rule.into(),
            severity: Severity::High,
            plane: plane.into(),
            node: "n".into(),
            time: 0,
            last: 0,
            techniques: techniques.iter().map(|s| s.to_string()).collect(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            event_ids: Vec::new(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*escape*", "Detect release_agent File Container Escapes"));
        assert!(glob("aws.rds.*", "aws.rds.snapshot-shared"));
        assert!(glob("a?c", "abc") && !glob("a?c", "abbc"));
        assert!(glob("*", "") && glob("**x*", "abxc"));
        assert!(!glob("*escape", "escapes") && !glob("", "x"));
    }

    #[test]
    fn stages_match_by_rule_tag_or_technique_within_their_planes() {
        let [escape, discovery, assume, snapshot] = Scenario::shipped().stages.try_into().unwrap();
        assert!(escape.matches(&step("host", "Container Escape via release_agent", &[], &[])));
        assert!(escape.matches(&step("host", "Debugfs Launched in Privileged Container", &[], &["T1611"])));
        assert!(!escape.matches(&step("cloud", "escape", &[], &[])), "a stage keeps to its planes");
        assert!(discovery.matches(&step("cloud", "baseline.multi-region-discovery", &[], &[])));
        assert!(discovery.matches(&step("cloud", "x", &["MITRE_DISCOVERY"], &[])));
        assert!(!discovery.matches(&step(
            "host",
            "Contact EC2 Instance Metadata",
            &["mitre_discovery"],
            &[]
        )));
        assert!(assume.matches(&step("cloud", "x", &[], &["T1548.005"])));
        assert!(!assume.matches(&step("cloud", "x", &[], &["T1548"])), "the parent is not the sub-technique");
        assert!(snapshot.matches(&step("cloud", "x", &[], &["T1537"])));
        assert!(snapshot.matches(&step("cloud", "x", &[], &["T1578.001"])));
        assert!(!snapshot.matches(&step("cloud", "x", &[], &["T15370"])));
    }

    #[test]
    fn stages_match_in_order() {
        let scenario = Scenario::shipped();
        let chain = [
            step("host", "Container Escape", &[], &[]),
            step("cloud", "multi-region discovery", &[], &[]),
            step("cloud", "privileged role assumed", &[], &[]),
            step("cloud", "aws.rds.snapshot-shared", &[], &[]),
        ];
        assert!(scenario.matched(&chain));
        let mut reordered = chain.clone();
        reordered.swap(0, 3);
        assert!(!scenario.matched(&reordered), "the escape must come first");
        assert!(!scenario.matched(&chain[..3]));
    }

    #[test]
    fn validation_names_the_stage() {
        assert_eq!(Scenario::shipped().validate(), Ok(()));
        let mut scenario = Scenario::shipped();
        scenario.stages[1].rules.clear();
        scenario.stages[1].tags.clear();
        scenario.stages[1].techniques.clear();
        let error = scenario.validate().unwrap_err();
        assert!(
            error.contains("the host's credentials used for discovery") && error.contains("matches nothing"),
            "{error}"
        );
        let mut scenario = Scenario::shipped();
        scenario.stages[0].planes = vec!["moon".into()];
        assert!(scenario.validate().unwrap_err().contains("\"moon\""));
        scenario.stages.clear();
        assert!(scenario.validate().unwrap_err().contains("no stages"));
    }
}
