//! Tests: enrichment — a golden table of actions across providers (access level, risks,
//! ATT&CK techniques), the share of Panther's CloudTrail events whose level the AWS table
//! knows, the agreement of the curated ATT&CK table with TrailDiscover's, and that enriching
//! an event is cheap and allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::Value;
use trailhound::enrich::{self, Source};
use trailhound::event::{AccessLevel, Event, Risk};

/// Counts the allocations of the calling thread, so that a test can tell whether a call
/// allocated, whatever other tests do on other threads.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn event(provider: &str, service: &str, action: &str) -> Event {
    Event { provider: provider.into(), service: service.into(), action: action.into(), ..Event::default() }
}

/// The text of a fixture under `../shared/fixtures` (see [`super::support::fixture`]).
fn fixture(relative: &str) -> Option<String> {
    let path = super::support::fixture(relative)?;
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

const PE: Risk = Risk::PrivilegeEscalation;
const RE: Risk = Risk::ResourceExposure;
const DX: Risk = Risk::DataExfiltration;
const CE: Risk = Risk::CredentialExposure;
const DE: Risk = Risk::DefenseEvasion;

type Golden =
    (&'static str, &'static str, &'static str, Option<AccessLevel>, &'static [Risk], &'static [&'static str]);

/// Actions as their providers' logs name them, and what enrichment must say of each.
const GOLDEN: &[Golden] = {
    use AccessLevel::{List, PermissionsManagement as Perm, Read, Tagging, Write};
    &[
        ("aws", "iam.amazonaws.com", "CreateAccessKey", Some(Perm), &[PE, RE, CE], &["T1098.001"]),
        ("aws", "iam.amazonaws.com", "AttachUserPolicy", Some(Perm), &[PE, RE], &["T1098.003"]),
        ("aws", "iam.amazonaws.com", "ListUsers", Some(List), &[], &["T1087.004"]),
        ("aws", "iam.amazonaws.com", "TagRole", Some(Tagging), &[], &[]),
        ("aws", "s3.amazonaws.com", "ListBuckets", Some(List), &[], &["T1580"]),
        ("aws", "s3.amazonaws.com", "GetObject", Some(Read), &[DX], &["T1530"]),
        ("aws", "s3.amazonaws.com", "PutBucketPolicy", Some(Perm), &[RE], &["T1537"]),
        ("aws", "s3.amazonaws.com", "DeleteBucketPublicAccessBlock", Some(Perm), &[RE], &["T1537"]),
        ("aws", "s3.amazonaws.com", "PutBucketLogging", Some(Write), &[DE], &["T1562.008"]),
        ("aws", "ec2.amazonaws.com", "RunInstances", Some(Write), &[PE], &["T1578.002", "T1496.001"]),
        ("aws", "ec2.amazonaws.com", "ModifySnapshotAttribute", Some(Perm), &[RE], &["T1537"]),
        ("aws", "cloudtrail.amazonaws.com", "StopLogging", Some(Write), &[DE], &["T1562.008"]),
        ("aws", "monitoring.amazonaws.com", "DeleteAlarms", Some(Write), &[DE], &["T1562.001"]),
        (
            "aws",
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            Some(Write),
            &[PE],
            &["T1648"],
        ),
        ("aws", "secretsmanager.amazonaws.com", "GetSecretValue", Some(Read), &[DX], &["T1555.006"]),
        ("aws", "sts.amazonaws.com", "AssumeRole", Some(Write), &[PE, CE], &["T1078.004"]),
        ("aws", "signin.amazonaws.com", "ConsoleLogin", None, &[], &["T1078.004"]),
        ("aws", "guardduty.amazonaws.com", "DeleteDetector", Some(Write), &[DE], &["T1562.001"]),
        (
            "gcp",
            "iam.googleapis.com",
            "google.iam.admin.v1.CreateServiceAccountKey",
            Some(Perm),
            &[],
            &["T1098.001"],
        ),
        ("gcp", "cloudresourcemanager.googleapis.com", "SetIamPolicy", Some(Perm), &[], &["T1098"]),
        (
            "gcp",
            "compute.googleapis.com",
            "v1.compute.instances.insert",
            Some(Write),
            &[],
            &["T1578.002", "T1496.001"],
        ),
        ("gcp", "storage.googleapis.com", "storage.objects.get", Some(Read), &[], &["T1530"]),
        (
            "gcp",
            "logging.googleapis.com",
            "google.logging.v2.ConfigServiceV2.DeleteSink",
            Some(Write),
            &[],
            &["T1562.008"],
        ),
        (
            "azure",
            "Microsoft.Authorization",
            "Microsoft.Authorization/roleAssignments/write",
            Some(Perm),
            &[],
            &["T1098"],
        ),
        (
            "azure",
            "Microsoft.Compute",
            "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION",
            Some(Write),
            &[],
            &["T1651"],
        ),
        (
            "azure",
            "Microsoft.Network",
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            Some(Write),
            &[],
            &["T1562.007"],
        ),
        (
            "azure",
            "Microsoft.Insights",
            "Microsoft.Insights/diagnosticSettings/delete",
            Some(Write),
            &[],
            &["T1562.008"],
        ),
        (
            "azure",
            "Microsoft.Storage",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            Some(Read),
            &[],
            &["T1552"],
        ),
        ("kubernetes", "", "create pods/exec", Some(Write), &[], &["T1609"]),
        ("kubernetes", "", "get secrets", Some(Read), &[], &["T1552.007"]),
        (
            "kubernetes",
            "rbac.authorization.k8s.io",
            "create clusterrolebindings",
            Some(Perm),
            &[],
            &["T1098.006"],
        ),
        ("kubernetes", "", "list pods", Some(List), &[], &["T1613"]),
        ("kubernetes", "", "impersonate users", Some(Perm), &[], &[]),
    ]
};

#[test]
fn enrich_golden_actions_across_providers() {
    let mut wrong = Vec::new();
    for &(provider, service, action, level, risks, techniques) in GOLDEN {
        let mut e = event(provider, service, action);
        enrich::enrich(&mut e);
        let got_risks: Vec<Risk> = e.enrichment.risks.iter().collect();
        if (e.access_level, got_risks.as_slice(), e.enrichment.techniques) != (level, risks, techniques) {
            wrong.push(format!(
                "{provider} {service} {action}: {:?} {got_risks:?} {:?}, expected {level:?} {risks:?} {techniques:?}",
                e.access_level, e.enrichment.techniques
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} actions differ:\n{}", wrong.len(), GOLDEN.len(), wrong.join("\n"));
}

#[test]
fn enrich_keeps_a_level_it_cannot_tell() {
    let mut e = event("host", "falco", "Terminal shell in container");
    e.access_level = Some(AccessLevel::Write);
    enrich::enrich(&mut e);
    assert_eq!(e.access_level, Some(AccessLevel::Write));
    assert!(e.enrichment.techniques.is_empty() && e.enrichment.risks.is_empty());
}

#[test]
fn enrich_lookups_are_case_correct() {
    // AWS spells its names one way: another case is another (unknown) action.
    let exact = enrich::lookup("aws", "iam.amazonaws.com", "CreateAccessKey");
    let lower = enrich::lookup("aws", "iam.amazonaws.com", "createaccesskey");
    assert_eq!(exact.source, Source::Table);
    assert_eq!(lower.source, Source::Verb);
    assert!(lower.techniques.is_empty());
    // Azure writes operation names in either case.
    let upper = enrich::lookup("azure", "", "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE");
    let mixed = enrich::lookup("azure", "", "Microsoft.Authorization/roleAssignments/write");
    assert_eq!(upper, mixed);
    assert_eq!(upper.access_level, Some(AccessLevel::PermissionsManagement));
}

#[test]
fn enrich_allocates_nothing_per_event() {
    let mut events: Vec<Event> = GOLDEN.iter().map(|g| event(g.0, g.1, g.2)).collect();
    enrich::enrich(&mut events[0]); // the tables are parsed once, on first use
    let before = allocations();
    for e in &mut events {
        enrich::enrich(e);
    }
    assert_eq!(allocations() - before, 0, "enriching {} events allocated", events.len());
}

/// 20,000 synthetic CloudTrail events (seed 7), normalized, then enriched in a loop; the cost
/// is compared with normalizing the same events, as both suffer alike from a loaded machine.
#[test]
fn enrich_costs_little_per_event() {
    let mut generator = trailhound_synth::Generator::new(trailhound_synth::GeneratorOptions {
        seed: 7,
        ..Default::default()
    });
    let records: Vec<String> = (0..20_000).map(|_| generator.next_value().to_string()).collect();
    let start = Instant::now();
    let mut events: Vec<Event> = records
        .iter()
        .map(|record| trailhound::normalize::event(record).expect("synthetic CloudTrail"))
        .collect();
    let normalize = start.elapsed().as_nanos() as f64 / events.len() as f64;
    enrich::enrich(&mut events[0]);
    const ROUNDS: u32 = 5;
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for e in &mut events {
            enrich::enrich(std::hint::black_box(e));
        }
    }
    let enrichment = start.elapsed().as_nanos() as f64 / f64::from(ROUNDS) / events.len() as f64;
    let known = events.iter().filter(|e| !e.enrichment.techniques.is_empty()).count();
    eprintln!(
        "enrichment: {enrichment:.0} ns/event, normalization {normalize:.0} ns/event ({:.1}%), over {} synthetic \
         CloudTrail events ({known} with techniques)",
        100.0 * enrichment / normalize,
        events.len()
    );
    assert!(enrichment < normalize / 4.0, "enrichment {enrichment:.0} ns vs normalization {normalize:.0} ns");
}

/// The share of the CloudTrail events among Panther's labeled test events whose access level
/// the generated table knows (the verb fallback not counted).
#[test]
fn enrich_panther_cloudtrail_levels_come_from_the_table() {
    let Some(text) = fixture("panther/aws-cloudtrail.jsonl") else {
        return;
    };
    let (mut events, mut from_table) = (0, 0);
    let mut misses: BTreeMap<String, u32> = BTreeMap::new();
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).expect("a JSON row");
        let Ok(e) = trailhound::normalize::event(&row["event"].to_string()) else { continue };
        if e.provider != "aws" {
            continue;
        }
        events += 1;
        match enrich::lookup(&e.provider, &e.service, &e.action).source {
            Source::Table => from_table += 1,
            _ => *misses.entry(format!("{} {}", e.service, e.action)).or_default() += 1,
        }
    }
    let share = f64::from(from_table) / f64::from(events);
    eprintln!(
        "panther aws-cloudtrail: {from_table} of {events} events ({:.1}%) have their access level from the table; \
         the verb decides for: {misses:?}",
        share * 100.0
    );
    assert!(events > 400, "only {events} CloudTrail events");
    assert!(share > 0.9, "only {:.1}% from the table", share * 100.0);
}

/// The curated ATT&CK table against TrailDiscover's (written independently of it): how many of
/// its events the table covers, and on how many at least one technique agrees (a
/// sub-technique agreeing with its parent). A disagreement can be right: it is printed, not
/// failed.
#[test]
fn enrich_attack_table_against_traildiscover() {
    let Some(text) = fixture("traildiscover/events.json") else {
        return;
    };
    let entries: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    let id = |v: &Value| v.as_str().map(|s| s.split(" - ").next().unwrap_or(s).trim().to_string());
    let parent = |t: &str| t.split('.').next().unwrap_or(t).to_string();
    let (mut covered, mut exact, mut agree) = (0, 0, 0);
    let mut disagreements = Vec::new();
    let mut uncovered: HashMap<String, u32> = HashMap::new();
    for entry in &entries {
        let (source, name) =
            (entry["eventSource"].as_str().unwrap_or(""), entry["eventName"].as_str().unwrap_or(""));
        let theirs: Vec<String> = ["mitreAttackTechniques", "mitreAttackSubTechniques"]
            .iter()
            .filter_map(|k| entry[*k].as_array())
            .flatten()
            .filter_map(id)
            .collect();
        let ours = enrich::lookup("aws", source, name).techniques;
        if ours.is_empty() {
            *uncovered.entry(source.trim_end_matches(".amazonaws.com").to_string()).or_default() += 1;
            continue;
        }
        covered += 1;
        if ours.iter().any(|t| theirs.iter().any(|x| x == t)) {
            exact += 1;
        }
        if ours.iter().any(|t| theirs.iter().any(|x| parent(x) == parent(t))) {
            agree += 1;
        } else {
            disagreements.push(format!("  {source} {name}: ours {ours:?}, theirs {theirs:?}"));
        }
    }
    let total = entries.len();
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let mut uncovered: Vec<(String, u32)> = uncovered.into_iter().collect();
    uncovered.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    uncovered.truncate(12);
    eprintln!(
        "traildiscover: {total} events; the table covers {covered} ({:.1}%); at least one technique agrees on \
         {agree} of them ({:.1}%; {exact} with the same sub-technique); not covered, by service: {uncovered:?}\n\
         disagreements ({}):\n{}",
        pct(covered, total),
        pct(agree, covered),
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(total > 300, "{total} TrailDiscover events");
    assert!(covered > 0 && agree > 0, "the table and TrailDiscover share nothing");
}
