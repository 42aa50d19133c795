//! Lineage: every event's origin, hops and the identity that obtained its key, traced once in
//! stream order before sharding, across a three-hop AssumeRole chain, shells opened on
//! instances, and a GCP impersonation.

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

/// A call by `actor` at line `line` of the stream (and minute `line` past 11:00), with the
/// given request parameters.
fn call(line: u64, actor: Value, source: &str, action: &str, request: Value) -> Record {
    record(
        line,
        json!({
            "eventVersion": "1.08", "eventSource": source, "eventName": action,
            "eventTime": format!("2026-11-03T11:{line:02}:00Z"), "eventID": format!("call-{line}"),
            "awsRegion": "us-east-1", "recipientAccountId": "111111111111",
            "userIdentity": actor, "requestParameters": request
        }),
    )
}

/// An instance's role session, as EC2 delivers it: named after the instance id.
fn instance_session(role: &str, instance: &str, key: &str) -> Value {
    json!({
        "type": "AssumedRole", "principalId": format!("AROA{role}:{instance}"),
        "arn": format!("arn:aws:sts::111111111111:assumed-role/{role}/{instance}"), "accountId": "111111111111",
        "accessKeyId": key, "ec2RoleDelivery": "2.0",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::111111111111:role/{role}"), "userName": role}}
    })
}

#[test]
fn shells_opened_on_instances_lead_their_role_sessions_back_to_the_user() {
    // An SSM session on a workstation, an SSH key pushed from it to a bastion with EC2 Instance
    // Connect, then an AssumeRole from the bastion's role session.
    let user = json!({"type": "IAMUser", "principalId": "AIDAMALLORY", "arn": "arn:aws:iam::111111111111:user/mallory",
                      "accountId": "111111111111", "accessKeyId": "AKIAMALLORY", "userName": "mallory"});
    let workstation = instance_session("workstation-role", "i-0aaaabbbbcccc1111", "ASIAWORKSTATION");
    let bastion = instance_session("bastion-role", "i-0ddddeeeeffff2222", "ASIABASTION");
    let mut records = vec![
        call(1, user, "ssm.amazonaws.com", "StartSession", json!({"target": "i-0aaaabbbbcccc1111"})),
        call(2, workstation.clone(), "iam.amazonaws.com", "ListRoles", json!(null)),
        call(
            3,
            workstation,
            "ec2-instance-connect.amazonaws.com",
            "SendSSHPublicKey",
            json!({"instanceId": "i-0ddddeeeeffff2222", "osUser": "ec2-user", "sSHPublicKey": "ssh-ed25519 AAAA"}),
        ),
        call(4, bastion.clone(), "iam.amazonaws.com", "ListRolePolicies", json!({"roleName": "dev-admin"})),
        assume(5, bastion, "111111111111", "DevAdmin", "ASIADEVADMIN"),
        call(
            6,
            session("111111111111", "DevAdmin", "ASIADEVADMIN"),
            "iam.amazonaws.com",
            "SetDefaultPolicyVersion",
            json!(null),
        ),
    ];
    let mut lineage = Lineage::new(1000);
    for r in &mut records {
        lineage.trace(r);
    }
    for r in &records {
        assert_eq!(
            r.event.enrichment.lineage.origin, "arn:aws:iam::111111111111:user/mallory",
            "{}",
            r.event.id
        );
    }
    let hops: Vec<u32> = records.iter().map(|r| r.event.enrichment.lineage.hops).collect();
    assert_eq!(hops, [0, 1, 1, 2, 2, 3]);
    let obtained_by: Vec<Option<&str>> =
        records.iter().map(|r| r.event.enrichment.lineage.key_obtained_by.as_deref()).collect();
    let bastion_arn = "arn:aws:sts::111111111111:assumed-role/bastion-role/i-0ddddeeeeffff2222";
    assert_eq!(
        obtained_by,
        [None, None, None, None, None, Some(bastion_arn)],
        "EC2 obtains an instance's keys"
    );
}

#[test]
fn a_service_assuming_a_role_links_nothing() {
    // Lambda assumes a function's role for every invocation: its sessions are not one story.
    let lambda = json!({"type": "AWSService", "invokedBy": "lambda.amazonaws.com"});
    let mut records = vec![
        assume(1, lambda, "111111111111", "orders-fn", "ASIAFN"),
        call(
            2,
            session("111111111111", "orders-fn", "ASIAFN"),
            "iam.amazonaws.com",
            "ListRoles",
            json!(null),
        ),
    ];
    let mut lineage = Lineage::new(1000);
    for r in &mut records {
        lineage.trace(r);
    }
    let traced = &records[1].event.enrichment.lineage;
    assert_eq!(traced.origin, "arn:aws:sts::111111111111:assumed-role/orders-fn/hop");
    assert_eq!((traced.hops, traced.key_obtained_by.as_deref()), (0, None));
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

/// A Falco alert (`json_output`) on `host`, in container `container`.
fn falco(line: u64, host: &str, rule: &str) -> Record {
    record(
        line,
        json!({
            "hostname": host, "priority": "Critical", "rule": rule, "source": "syscall",
            "output": format!("{rule} (user=root container_id=0a1b2c3d4e5f)"),
            "output_fields": {"evt.time": 1793700000000000000u64 + line, "user.name": "root", "proc.name": "sh",
                               "container.id": "0a1b2c3d4e5f", "container.name": "web"},
            "tags": ["container", "T1611"], "time": format!("2026-11-03T11:{line:02}:30.000000000Z")
        }),
    )
}

/// An instance's role calling from `ip` (a private address: through a VPC endpoint).
fn from_address(mut r: Record, ip: &str) -> Record {
    r.event.source_ip = Some(ip.into());
    r
}

fn traced(records: &mut [Record]) -> Vec<(String, u32)> {
    let mut lineage = Lineage::new(1000);
    records
        .iter_mut()
        .map(|r| {
            lineage.trace(r);
            (r.event.enrichment.lineage.origin.clone(), r.event.enrichment.lineage.hops)
        })
        .collect()
}

#[test]
fn an_instance_role_and_the_host_events_of_its_instance_share_the_instance_as_origin() {
    let node = instance_session("node-role", "i-0aaaabbbbcccc1111", "ASIANODE");
    let mut records = vec![
        from_address(
            call(1, node.clone(), "ec2.amazonaws.com", "DescribeNetworkInterfaces", json!(null)),
            "10.0.1.5",
        ),
        falco(2, "ip-10-0-1-5.ec2.internal", "Detect release_agent File Container Escapes"),
        call(3, node.clone(), "ec2.amazonaws.com", "DescribeInstances", json!(null)),
        assume(4, node, "111111111111", "DbAdmin", "ASIADBADMIN"),
        call(
            5,
            session("111111111111", "DbAdmin", "ASIADBADMIN"),
            "rds.amazonaws.com",
            "CreateDBSnapshot",
            json!(null),
        ),
        // A host named after its instance needs no address.
        falco(6, "i-0ddddeeeeffff2222.ec2.internal", "Terminal shell in container"),
    ];
    let instance = "instance:i-0aaaabbbbcccc1111".to_string();
    assert_eq!(
        traced(&mut records),
        [
            (instance.clone(), 1),
            (instance.clone(), 1),
            (instance.clone(), 1),
            (instance.clone(), 1),
            (instance, 2),
            ("instance:i-0ddddeeeeffff2222".to_string(), 1),
        ]
    );
}

#[test]
fn an_instance_found_at_the_address_of_a_host_seen_first_joins_the_host_story() {
    let node = instance_session("node-role", "i-0aaaabbbbcccc1111", "ASIANODE");
    let mut records = vec![
        falco(1, "ip-10-0-1-5.ec2.internal", "Detect release_agent File Container Escapes"),
        from_address(
            call(2, node.clone(), "ec2.amazonaws.com", "DescribeInstances", json!(null)),
            "10.0.1.5",
        ),
        assume(3, node, "111111111111", "DbAdmin", "ASIADBADMIN"),
        call(
            4,
            session("111111111111", "DbAdmin", "ASIADBADMIN"),
            "rds.amazonaws.com",
            "CreateDBSnapshot",
            json!(null),
        ),
        falco(5, "ip-10-0-9-9.ec2.internal", "Terminal shell in container"),
    ];
    let host = "host:ip-10-0-1-5.ec2.internal".to_string();
    let origins: Vec<String> = traced(&mut records).into_iter().map(|(o, _)| o).collect();
    assert_eq!(origins[..4], [host.clone(), host.clone(), host.clone(), host]);
    assert_eq!(origins[4], "host:ip-10-0-9-9.ec2.internal", "another host is its own story");
}

#[test]
fn a_web_identity_session_of_a_kubernetes_service_account_began_with_the_service_account() {
    let sa = "system:serviceaccount:orders:orders-worker";
    let web = json!({
        "type": "WebIdentityUser",
        "principalId": format!("arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sts.amazonaws.com:{sa}"),
        "userName": sa,
        "identityProvider": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"
    });
    let mut first = assume(1, web, "111111111111", "orders-s3", "ASIAORDERS");
    first.event.action = "AssumeRoleWithWebIdentity".into();
    let mut records = vec![
        first,
        call(
            2,
            session("111111111111", "orders-s3", "ASIAORDERS"),
            "s3.amazonaws.com",
            "ListBuckets",
            json!(null),
        ),
    ];
    assert_eq!(traced(&mut records), [(sa.to_string(), 1), (sa.to_string(), 2)]);
}
