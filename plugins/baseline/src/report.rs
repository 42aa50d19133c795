//! A flag as a finding: its rule, severity, ATT&CK technique, what was learned and what the
//! call did instead.

use trailhound_sdk::{AccessLevel, Event, Finding, Severity};

use crate::observe::Call;
use crate::profile::Flag;

pub const SWEEP: &str = "baseline.discovery-across-regions";
pub const SESSION_AGENTS: &str = "baseline.session-token-second-user-agent";
pub const NEW_NETWORK: &str = "baseline.key-new-network";
pub const FIRST_PERMISSIONS_MANAGEMENT: &str = "baseline.first-permissions-management";
pub const FIRST_WRITE: &str = "baseline.first-write";
pub const NEW_REGION: &str = "baseline.new-region";

/// Every rule this plugin reports.
pub const RULES: [&str; 6] =
    [SWEEP, SESSION_AGENTS, NEW_NETWORK, FIRST_PERMISSIONS_MANAGEMENT, FIRST_WRITE, NEW_REGION];

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub fn finding(flag: &Flag, call: &Call<'_>, event: &Event<'_>) -> Finding {
    let who = call.principal;
    let key = call.key.unwrap_or("-");
    let base = |rule: &str, title: String, severity: Severity| {
        let mut f = Finding::new(rule, title, severity).event(event).evidence("principal", who);
        if let Some(k) = call.key {
            f = f.evidence("access_key", k);
        }
        f.tag("baseline")
    };
    match flag {
        Flag::Sweep { regions } => {
            let names: Vec<&str> = regions.iter().map(|s| &*s.region).collect();
            let span = regions.last().map_or(0, |l| l.time) - regions.first().map_or(0, |f| f.time);
            base(SWEEP, format!("Discovery across {} regions in {} s by {who}", names.len(), span / 1000), Severity::Medium)
                .summary(format!(
                    "{who} (key {key}) ran discovery calls in {} regions within {} s: {}",
                    names.len(),
                    span / 1000,
                    names.join(", ")
                ))
                .events(regions.iter().filter(|s| &*s.event != call.id).map(|s| s.event.to_string()))
                .evidence("regions", names.join(","))
                .technique("T1580")
                .technique("T1526")
        }
        Flag::SessionAgents { agent, network, known_agents } => base(
            SESSION_AGENTS,
            format!("Session token of {who} used by {agent} from {network}"),
            Severity::High,
        )
        .summary(format!(
            "the session key {key} of {who}, used by {known_agents} other tool(s) before, was used by {agent} from \
             {network}, a range it had not been used from: the session's credentials are in other hands"
        ))
        .evidence("user_agent", call.user_agent.unwrap_or(agent))
        .evidence("network", network.clone())
        .technique("T1550.001")
        .technique("T1078.004"),
        Flag::NewNetwork { network, range, range_new, principal_knows, known } => {
            let severity = if *range_new && !principal_knows { Severity::Medium } else { Severity::Low };
            let what = if *range_new { format!("range {range}") } else { format!("network {network}") };
            base(NEW_NETWORK, format!("Access key {key} of {who} used from a new {what}"), severity)
                .summary(format!(
                    "{key} of {who}, used from {known} network(s) before, was used from {network}{}",
                    if *principal_knows { " (a range the principal used with another key)" } else { "" }
                ))
                .evidence("network", network.clone())
                .evidence("range", range.clone())
                .evidence("range_new", yes(*range_new))
                .technique("T1078.004")
        }
        Flag::FirstLevel { level, service_new, action_new, known_services } => {
            let (rule, severity, technique) = match level {
                AccessLevel::PermissionsManagement => (FIRST_PERMISSIONS_MANAGEMENT, Severity::Medium, "T1098"),
                _ => (FIRST_WRITE, Severity::Low, "T1078.004"),
            };
            base(rule, format!("First {} action by {who}: {}", level.as_str(), call.action), severity)
                .summary(format!(
                    "{who} had made no {} call since its baseline began; {} on {} ({}){}",
                    level.as_str(),
                    call.action,
                    call.service,
                    if call.success { "succeeded" } else { "failed" },
                    if *service_new { format!(", a service new to it ({known_services} known)") } else { String::new() }
                ))
                .evidence("access_level", level.as_str())
                .evidence("action", call.action)
                .evidence("action_new", yes(*action_new))
                .evidence("service_new", yes(*service_new))
                .technique(technique)
        }
        Flag::NewRegion { region, known } => {
            base(NEW_REGION, format!("{who} active in a new region, {region}"), Severity::Low)
                .summary(format!("{who}, active in {known} region(s) before, called {} in {region}", call.action))
                .evidence("region", region.clone())
                .technique("T1535")
        }
    }
}
