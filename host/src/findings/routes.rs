//! Routes: which sinks a finding goes to. Each `[[routes]]` table matches findings by minimum
//! severity, plugin, rule id (glob), tags and techniques, provider and account, and names the
//! sinks its findings go to; a finding goes to the sinks of every route it matches, once
//! each. A route with `default = true` takes the findings no other route matched. With no
//! routes configured, every finding goes to every sink.
//!
//! A finding no route takes is not lost silently: the delivery counts it and the summary says
//! how many there were.

use serde::Deserialize;
use trailhound_sdk::Severity;

use super::Detection;

/// One `[[routes]]` table. Every matcher is optional; a list matches when any of its items
/// does, and a finding must pass every matcher given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The names of the sinks (their `name` key) the matching findings go to. Required.
    pub sinks: Vec<String>,
    /// At least this severity: info, low, medium, high, critical.
    pub min_severity: Option<Severity>,
    /// Plugin names.
    #[serde(default)]
    pub plugins: Vec<String>,
    /// Rule ids, as globs: `*` is any run of characters, `?` any one (`aws.iam.*`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Tags or ATT&CK technique ids of the finding (`T1098`, `cis`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Providers of the proving events: aws, gcp, azure, kubernetes, host.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Accounts, projects or subscriptions of the proving events.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Take the findings no other route matched (at most one route). Default: false.
    #[serde(default)]
    pub default: bool,
}

impl RouteConfig {
    /// Whether the finding passes every matcher of the route.
    pub fn matches(&self, detection: &Detection) -> bool {
        let finding = &detection.finding;
        let any =
            |list: &[String], test: &dyn Fn(&str) -> bool| list.is_empty() || list.iter().any(|i| test(i));
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && any(&self.plugins, &|p| p == detection.plugin)
            && any(&self.rules, &|pattern| glob(pattern, &finding.rule_id))
            && any(&self.tags, &|tag| finding.tags.iter().chain(&finding.techniques).any(|t| t == tag))
            && any(&self.providers, &|p| detection.related.iter().any(|e| e.provider == p))
            && any(&self.accounts, &|a| detection.related.iter().any(|e| e.account == a))
    }
}

/// The routes, with their sinks resolved to indices into the sink list.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<(RouteConfig, Vec<usize>)>,
    /// With no routes, every finding goes to this many sinks.
    sinks: usize,
}

impl Routes {
    /// Every finding to every one of `sinks` sinks.
    pub fn everything(sinks: usize) -> Self {
        Routes { routes: Vec::new(), sinks }
    }

    /// The routes of a config, given the names of its sinks in order.
    ///
    /// # Errors
    /// A route names a sink no sink has the name of (the config's checks report it first,
    /// with its place in the file).
    pub fn new(routes: &[RouteConfig], names: &[Option<&str>]) -> Result<Self, String> {
        let index = |name: &str| {
            names.iter().position(|n| *n == Some(name)).ok_or_else(|| format!("no sink is named {name:?}"))
        };
        let routes = routes
            .iter()
            .map(|route| {
                Ok((route.clone(), route.sinks.iter().map(|s| index(s)).collect::<Result<_, String>>()?))
            })
            .collect::<Result<_, String>>()?;
        Ok(Routes { routes, sinks: names.len() })
    }

    /// The routes configured (none: every finding to every sink).
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Where the finding goes: the routes that take it, in config order, and their sinks,
    /// each once, in sink order; no sinks when no route takes it.
    pub fn route(&self, detection: &Detection) -> Routed {
        if self.routes.is_empty() {
            return Routed { routes: Vec::new(), sinks: (0..self.sinks).collect() };
        }
        let taking = |default: bool| {
            self.routes
                .iter()
                .enumerate()
                .filter(move |(_, (r, _))| r.default == default && r.matches(detection))
                .map(|(i, _)| i)
                .collect::<Vec<usize>>()
        };
        let mut routes = taking(false);
        if routes.is_empty() {
            routes = taking(true);
        }
        let mut sinks: Vec<usize> = routes.iter().flat_map(|&i| self.routes[i].1.iter().copied()).collect();
        sinks.sort_unstable();
        sinks.dedup();
        Routed { routes, sinks }
    }
}

/// Where one finding goes ([`Routes::route`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// The routes that took it, by their place in the config.
    pub routes: Vec<usize>,
    /// The sinks it goes to, by their place in the config.
    pub sinks: Vec<usize>,
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // The classic two-pointer match with backtracking to the last star: linear in practice.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::RelatedEvent;
    use trailhound_sdk::Finding;

    fn detection(plugin: &str, rule: &str, severity: Severity, provider: &str, account: &str) -> Detection {
        Detection {
            plugin: plugin.into(),
            plugin_version: "1".into(),
            finding: Finding::new(rule, "t", severity).technique("T1098").tag("iam"),
            related: vec![RelatedEvent {
                uid: "e".into(),
                time: 0,
                provider: provider.into(),
                service: "iam.amazonaws.com".into(),
                action: "CreatePolicy".into(),
                account: account.into(),
                region: "us-east-1".into(),
                actor: "a".into(),
                source_ip: None,
            }],
            time: 0,
        }
    }

    #[test]
    fn globs() {
        assert!(glob("aws.iam.*", "aws.iam.admin-policy"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
        assert!(glob("*.snapshot-*", "aws.rds.snapshot-shared"));
        assert!(!glob("aws.iam.*", "aws.s3.public"));
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxbyy"));
        assert!(glob("storyline.risk-threshold", "storyline.risk-threshold"));
    }

    #[test]
    fn every_matcher_given_must_pass() {
        let d = detection("iam-risk", "aws.iam.admin-policy", Severity::High, "aws", "111");
        let route = |r: RouteConfig| RouteConfig { sinks: vec!["s".into()], ..r };
        assert!(route(RouteConfig::default()).matches(&d));
        assert!(route(RouteConfig { min_severity: Some(Severity::High), ..Default::default() }).matches(&d));
        assert!(
            !route(RouteConfig { min_severity: Some(Severity::Critical), ..Default::default() }).matches(&d)
        );
        assert!(route(RouteConfig { rules: vec!["x".into(), "aws.iam.*".into()], ..Default::default() })
            .matches(&d));
        assert!(route(RouteConfig { tags: vec!["T1098".into()], ..Default::default() }).matches(&d));
        assert!(route(RouteConfig { tags: vec!["iam".into()], ..Default::default() }).matches(&d));
        assert!(!route(RouteConfig { plugins: vec!["rules".into()], ..Default::default() }).matches(&d));
        assert!(!route(RouteConfig { providers: vec!["gcp".into()], ..Default::default() }).matches(&d));
        let both =
            RouteConfig { accounts: vec!["111".into()], providers: vec!["aws".into()], ..Default::default() };
        assert!(route(both).matches(&d));
        let wrong =
            RouteConfig { accounts: vec!["222".into()], providers: vec!["aws".into()], ..Default::default() };
        assert!(!route(wrong).matches(&d));
    }

    #[test]
    fn findings_go_to_every_matching_route_once_and_the_default_takes_the_rest() {
        let names = [Some("pager"), Some("siem"), Some("archive")];
        let routes = Routes::new(
            &[
                RouteConfig {
                    sinks: vec!["pager".into(), "siem".into()],
                    min_severity: Some(Severity::High),
                    ..Default::default()
                },
                RouteConfig {
                    sinks: vec!["siem".into()],
                    plugins: vec!["iam-risk".into()],
                    ..Default::default()
                },
                RouteConfig { sinks: vec!["archive".into()], default: true, ..Default::default() },
            ],
            &names,
        )
        .unwrap();
        let high = detection("iam-risk", "r", Severity::High, "aws", "1");
        assert_eq!(routes.route(&high), Routed { routes: vec![0, 1], sinks: vec![0, 1] });
        let low = detection("rules", "r", Severity::Low, "aws", "1");
        assert_eq!(
            routes.route(&low),
            Routed { routes: vec![2], sinks: vec![2] },
            "only the default takes it"
        );
        assert_eq!(Routes::everything(2).route(&low).sinks, [0, 1]);
        let none = Routes::new(
            &[RouteConfig {
                sinks: vec!["pager".into()],
                min_severity: Some(Severity::High),
                ..Default::default()
            }],
            &names,
        )
        .unwrap();
        assert!(none.route(&low).sinks.is_empty());
        assert!(Routes::new(&[RouteConfig { sinks: vec!["nowhere".into()], ..Default::default() }], &names)
            .unwrap_err()
            .contains("nowhere"));
    }
}
