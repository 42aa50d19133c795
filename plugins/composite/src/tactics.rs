//! The ATT&CK tactics a chain covers: from `mitre_<tactic>` tags, as Falco's rules and the
//! shipped rule files tag their findings, and from the techniques a finding reports, for the
//! techniques cloud and container detectors report most (their tactics as ATT&CK's
//! Enterprise matrix lists them; a sub-technique has its parent's).

/// Tactics of the techniques below, keyed by parent technique id.
const TACTICS: [(&str, &[&str]); 30] = [
    ("T1021", &["lateral-movement"]),
    ("T1059", &["execution"]),
    ("T1069", &["discovery"]),
    ("T1078", &["defense-evasion", "persistence", "privilege-escalation", "initial-access"]),
    ("T1087", &["discovery"]),
    ("T1098", &["persistence", "privilege-escalation"]),
    ("T1110", &["credential-access"]),
    ("T1136", &["persistence"]),
    ("T1190", &["initial-access"]),
    ("T1485", &["impact"]),
    ("T1486", &["impact"]),
    ("T1496", &["impact"]),
    ("T1525", &["persistence"]),
    ("T1526", &["discovery"]),
    ("T1528", &["credential-access"]),
    ("T1530", &["collection"]),
    ("T1537", &["exfiltration"]),
    ("T1538", &["discovery"]),
    ("T1548", &["privilege-escalation", "defense-evasion"]),
    ("T1550", &["defense-evasion", "lateral-movement"]),
    ("T1552", &["credential-access"]),
    ("T1555", &["credential-access"]),
    ("T1562", &["defense-evasion"]),
    ("T1565", &["impact"]),
    ("T1578", &["defense-evasion"]),
    ("T1580", &["discovery"]),
    ("T1610", &["defense-evasion", "execution"]),
    ("T1611", &["privilege-escalation"]),
    ("T1613", &["discovery"]),
    ("T1619", &["discovery"]),
];

/// Whether a tag is an ATT&CK technique id (`T1098`, `T1098.001`).
pub fn is_technique(tag: &str) -> bool {
    let Some(digits) = tag.strip_prefix('T') else { return false };
    let (parent, sub) = digits.split_once('.').unwrap_or((digits, "000"));
    parent.len() == 4 && sub.len() == 3 && (parent.bytes().chain(sub.bytes())).all(|b| b.is_ascii_digit())
}

/// The tactics of one technique id, empty when the table does not list it.
fn of_technique(technique: &str) -> &'static [&'static str] {
    let parent = technique.split('.').next().unwrap_or(technique);
    TACTICS.iter().find(|(id, _)| *id == parent).map_or(&[], |(_, tactics)| tactics)
}

/// The tactic a `mitre_<tactic>` tag names, in ATT&CK's spelling (`mitre_privilege_escalation`
/// → `privilege-escalation`).
fn of_tag(tag: &str) -> Option<String> {
    let name = tag.strip_prefix("mitre_")?;
    (!name.is_empty()).then(|| name.replace('_', "-").to_ascii_lowercase())
}

/// The tactics that `tags` and `techniques` name, in the order first named, without repeats.
pub fn covered<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    techniques: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |tactic: String| {
        if !out.contains(&tactic) {
            out.push(tactic);
        }
    };
    tags.into_iter().filter_map(of_tag).for_each(&mut add);
    techniques.into_iter().flat_map(of_technique).for_each(|t| add(t.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_recognised() {
        assert!(is_technique("T1611") && is_technique("T1552.005"));
        assert!(!is_technique("T161") && !is_technique("T1552.5") && !is_technique("container"));
        assert!(!is_technique("Tabcd"));
    }

    #[test]
    fn tactics_come_from_tags_and_techniques() {
        let tactics =
            covered(["mitre_privilege_escalation", "container"], ["T1611", "T1537", "T1552.005", "T9999"]);
        assert_eq!(tactics, ["privilege-escalation", "exfiltration", "credential-access"]);
    }

    #[test]
    fn the_table_is_sorted_and_its_ids_are_techniques() {
        assert!(TACTICS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(TACTICS.iter().all(|(id, tactics)| is_technique(id) && !tactics.is_empty()));
    }
}
