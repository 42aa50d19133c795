//! Lineage: every event's origin, hops and the identity that obtained its key, traced once in
//! stream order before sharding, across a three-hop AssumeRole chain and a GCP impersonation.

use std::sync::Arc;

use serde_json::{json, Value};
use trailhound::engine::lineage::Lineage;
use trailhound::record::{Origin, RawRecord, Record};

fn record(line: u64, value: Value) -> Record {
    let raw = RawRecord {
        origin: Origin::line(Arc::from("chain.jsonl"), line),
        text: Arc::from(value.to_string()),
    };
    trailhound::normalize::normalize(raw, None).expect("normalizes").into_record().expect("an event")
}

/// A successful AssumeRole by `caller` (using `key`) that hands out `issued` for `role` in `account`.
fn assume(line: u64, caller: Value, account: &str, role: &str, issued: &str) -> Record {
    record(
        line,
        json!({
            "eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
            "eventTime": format!("2026-11-03T10:0{line}:00Z"), "eventID": format!("assume-{line}"),
            "awsRegion": "us-east-1", "recipientAccountId": account,
            "userIdentity": caller,
            "requestParameters": {"roleArn": format!("arn:aws:iam::{account}:role/{role}"), "roleSessionName": "hop"},
            "responseElements": {
                "credentials": {"accessKeyId": issued, "expiration": "Nov 3, 2026, 11:00:00 AM"},
                "assumedRoleUser": {"assumedRoleId": format!("AROA{role}:hop"), "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/hop")}
            }
        }),
    )
}

fn session(account: &str, role: &str, key: &str) -> Value {
    json!({
        "type": "AssumedRole", "principalId": format!("AROA{role}:hop"),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/hop"), "accountId": account, "accessKeyId": key,
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{account}:role/{role}"), "userName": role}}
    })
}

#[test]
fn a_three_hop_assume_role_chain_across_accounts_leads_back_to_the_user() {
    let user = json!({"type": "IAMUser", "principalId": "AIDAALICE", "arn": "arn:aws:iam::111111111111:user/alice",
                      "accountId": "111111111111", "accessKeyId": "AKIAALICE", "userName": "alice"});
    let mut records = vec![
        assume(1, user, "111111111111", "Dev", "ASIADEV"),
        assume(2, session("111111111111", "Dev", "ASIADEV"), "222222222222", "Deploy", "ASIADEPLOY"),
        assume(3, session("222222222222", "Deploy", "ASIADEPLOY"), "333333333333", "Admin", "ASIAADMIN"),
        record(
            4,
            json!({"eventSource": "rds.amazonaws.com", "eventName": "CreateDBSnapshot", "eventTime": "2026-11-03T10:09:00Z",
                   "eventID": "snap", "recipientAccountId": "333333333333",
                   "userIdentity": session("333333333333", "Admin", "ASIAADMIN")}),
        ),
    ];
    let mut lineage = Lineage::new(1000);
    for r in &mut records {
        lineage.trace(r);
    }
    let traced: Vec<_> = records.iter().map(|r| &r.event.enrichment.lineage).collect();
    for (r, l) in records.iter().zip(&traced) {
        assert_eq!(l.origin, "arn:aws:iam::111111111111:user/alice", "{}", r.event.id);
    }
    assert_eq!(traced.iter().map(|l| l.hops).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(
        traced[3].key_obtained_by.as_deref(),
        Some("arn:aws:sts::222222222222:assumed-role/Deploy/hop")
    );
    assert_eq!(traced[0].key_obtained_by, None, "alice's own long-term key was obtained by nobody we saw");
}

#[test]
fn a_failed_assume_role_links_nothing() {
    let user = json!({"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/bob", "accountId": "111111111111", "accessKeyId": "AKIABOB"});
    let mut denied = assume(1, user, "111111111111", "Admin", "ASIANOPE");
    denied.event.success = false;
    let mut used = record(
        2,
        json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "eventTime": "2026-11-03T10:05:00Z",
               "userIdentity": session("111111111111", "Admin", "ASIANOPE")}),
    );
    let mut lineage = Lineage::new(1000);
    lineage.trace(&mut denied);
    lineage.trace(&mut used);
    assert_eq!(used.event.enrichment.lineage.origin, "arn:aws:sts::111111111111:assumed-role/Admin/hop");
    assert_eq!(used.event.enrichment.lineage.hops, 0);
}

#[test]
fn an_impersonation_chain_named_by_the_record_leads_back_to_its_first_caller() {
    // As the GCP normalizer fills it from `serviceAccountDelegationInfo`: the deployer
    // impersonated a builder account, which impersonated the storage admin that made the call.
    let mut r = record(
        1,
        json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "eventTime": "2026-11-03T10:05:00Z"}),
    );
    r.event.provider = "gcp".into();
    r.event.actor.id = "storage-admin@prod.iam.gserviceaccount.com".into();
    r.event.actor.delegation = vec!["dev@example.com".into(), "builder@ci.iam.gserviceaccount.com".into()];
    Lineage::new(10).trace(&mut r);
    assert_eq!(r.event.enrichment.lineage.origin, "dev@example.com");
    assert_eq!(r.event.enrichment.lineage.hops, 2);
}
