//! Tests: the shipped rule set against Panther's labeled test events
//! (`../shared/fixtures/panther/*.jsonl`). For every row whose Panther rule guards against a
//! threat one of our rules covers ([`COVERED`]), and whose label does not depend on a mocked
//! lookup (`needs_mocks` false), our finding must fire exactly when Panther's `expected` is
//! true. Where the two rules mean different things, the row is listed in [`KEPT`] with the
//! reason ours is right; any other disagreement fails.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use trailhound::engine::{Engine, EngineSettings, PluginSpec};
use trailhound::record::{Origin, RawRecord};

use super::pack_rules::rule_files;
use crate::support;

/// Panther rule id → the rules of ours that cover the same threat.
const COVERED: &[(&str, &[&str])] = &[
    ("AWS.Bedrock.DeleteModelInvocationLoggingConfiguration", &["aws.bedrock.invocation-logging-deleted"]),
    ("AWS.CloudTrail.AMIModifiedForPublicAccess", &["aws.ec2.ami-shared"]),
    ("AWS.CloudTrail.AttemptToLeaveOrg", &["aws.organizations.account-left"]),
    ("AWS.CloudTrail.Created", &["aws.cis.cloudtrail-changed"]),
    ("AWS.CloudTrail.DNSLogsDeleted", &["aws.route53resolver.query-logging-deleted"]),
    ("AWS.CloudTrail.EventSelectorsDisabled", &["aws.cloudtrail.event-selectors-exclude-management"]),
    ("AWS.CloudTrail.IMDSCredentialExfiltration", &["aws.ec2.instance-credentials-used-outside"]),
    ("AWS.CloudTrail.NetworkACLPermissiveEntry", &["aws.cis.network-acl-changed"]),
    ("AWS.CloudTrail.LoginProfileCreatedOrModified", &["aws.iam.login-profile-changed"]),
    ("AWS.CloudTrail.RootAccessKeyCreated", &["aws.iam.root-access-key-created"]),
    ("AWS.CloudTrail.SnapshotMadePublic", &["aws.ec2.ebs-snapshot-shared", "aws.rds.snapshot-shared"]),
    ("AWS.CloudTrail.Stopped", &["aws.cloudtrail.logging-stopped", "aws.cloudtrail.trail-deleted"]),
    ("AWS.CloudTrail.UnauthorizedAPICall", &["aws.cis.unauthorized-api-call"]),
    ("AWS.ConfigService.DisabledDeleted", &["aws.cis.config-changed"]),
    ("AWS.ConfigService.Created", &["aws.cis.config-changed"]),
    ("AWS.Console.RootLogin", &["aws.cis.root-account-used"]),
    ("AWS.Console.RootLoginFailed", &["aws.cis.console-authentication-failed"]),
    ("AWS.EC2.DownloadInstanceUserData", &["aws.ec2.user-data-downloaded"]),
    ("AWS.EC2.GatewayModified", &["aws.cis.network-gateway-changed"]),
    ("AWS.EC2.ManyPasswordReadAttempts", &["aws.ec2.password-data-retrieved"]),
    ("AWS.EC2.MultiInstanceConnect", &["aws.ec2-instance-connect.ssh-key-sent"]),
    ("AWS.EC2.NetworkACLModified", &["aws.cis.network-acl-changed"]),
    ("AWS.EC2.RouteTableModified", &["aws.cis.route-table-changed"]),
    ("AWS.EC2.SecurityGroupModified", &["aws.cis.security-group-changed", "aws.ec2.ssh-open-to-the-world"]),
    ("AWS.EC2.Startup.Script.Change", &["aws.ec2.user-data-changed"]),
    ("AWS.EC2.VPCModified", &["aws.cis.vpc-changed"]),
    ("AWS.IAM.AttachAdminRolePolicy", &["aws.iam.admin-policy-attached"]),
    ("AWS.IAM.AttachAdminUserPolicy", &["aws.iam.admin-policy-attached"]),
    ("AWS.IAM.Backdoor.User.Keys", &["aws.iam.access-key-created-for-user"]),
    ("AWS.IAM.BackdoorRole", &["aws.iam.role-trust-opened"]),
    ("AWS.IAM.CreateUser", &["aws.iam.user-created"]),
    ("AWS.IAM.PolicyModified", &["aws.cis.iam-policy-changed", "aws.iam.admin-policy-attached"]),
    ("AWS.KMS.CustomerManagedKeyLoss", &["aws.cis.kms-key-disabled-or-deleted"]),
    ("AWS.Lambda.UpdateFunctionCode", &["aws.lambda.code-overwritten-by-person"]),
    ("AWS.Lambda.UpdateFunctionConfiguration", &["aws.lambda.layer-added"]),
    ("AWS.Potential.Backdoor.Lambda", &["aws.lambda.function-made-public"]),
    ("AWS.RDS.SnapshotShared", &["aws.rds.snapshot-shared"]),
    ("AWS.Root.Activity", &["aws.cis.root-account-used"]),
    ("AWS.S3.BucketPolicyModified", &["aws.cis.s3-bucket-policy-changed", "aws.s3.bucket-made-public"]),
    ("AWS.S3.DeleteBucketEncryption", &["aws.s3.bucket-encryption-deleted"]),
    ("AWS.S3.DeletePublicAccessBlock", &["aws.s3.public-access-block-removed"]),
    ("AWS.SSM.DecryptSSMParams", &["aws.ssm.secure-parameters-decrypted"]),
    ("AWS.SSM.DistributedCommand", &["aws.ssm.shell-command-sent"]),
    ("AWS.SecretsManager.BatchRetrieveSecrets", &["aws.secretsmanager.secrets-batch-retrieved"]),
    ("AWS.SecretsManager.BatchRetrieveSecretsCatchAll", &["aws.secretsmanager.secrets-batch-retrieved"]),
    ("AWS.VPCFlow.LogsDeleted", &["aws.ec2.flow-logs-deleted"]),
    ("GCP.GCS.Public", &["gcp.storage.bucket-made-public"]),
    ("GCP.K8S.Pod.Create.Or.Modify.Host.Path.Volume.Mount", &["k8s.pod.sensitive-host-path-mounted"]),
    ("GCP.K8S.Privileged.Pod.Created", &["k8s.pod.privileged-created"]),
    ("GCP.K8s.ExecIntoPod", &["k8s.pod.exec"]),
    ("GCP.K8s.Pod.Attached.To.Node.Host.Network", &["k8s.pod.host-namespace-shared"]),
    ("GCP.K8s.Pod.Using.Host.PID.Namespace", &["k8s.pod.host-namespace-shared"]),
    (
        "GCP.IAM.serviceAccounts.getAccessToken.Privilege.Escalation",
        &["gcp.iam.service-account-token-minted-by-person"],
    ),
    ("GCP.IAM.serviceAccounts.signBlob", &["gcp.iam.service-account-token-minted-by-person"]),
    (
        "GCP.IAM.serviceAccounts.signJwt.Privilege.Escalation",
        &["gcp.iam.service-account-token-minted-by-person"],
    ),
    ("GCP.Log.Bucket.Or.Sink.Deleted", &["gcp.logging.sink-or-bucket-deleted"]),
    ("GCP.Logging.Sink.Modified", &["gcp.logging.sink-disabled"]),
    ("GCP.Service.Account.or.Keys.Created", &["gcp.iam.service-account-key-created"]),
    ("GCP.iam.serviceAccountKeys.create", &["gcp.iam.service-account-key-created"]),
    ("Azure.Audit.ServicePrincipalCredentialsAdded", &["azure.entra.service-principal-credentials-added"]),
    ("Azure.MonitorActivity.Compute.VMCommandExecuted", &["azure.compute.run-command"]),
    ("Azure.MonitorActivity.DiagnosticSettings.Deleted", &["azure.monitor.diagnostic-setting-deleted"]),
    (
        "Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated",
        &["azure.authorization.privileged-role-assigned"],
    ),
    ("Kubernetes.ClusterRoleBinding.Privileged", &["k8s.rbac.privileged-role-bound"]),
    ("Kubernetes.Pod.Exec", &["k8s.pod.exec"]),
    ("Kubernetes.Pod.Host.IPC", &["k8s.pod.host-namespace-shared"]),
    ("Kubernetes.Pod.Host.Network", &["k8s.pod.host-namespace-shared"]),
    ("Kubernetes.Pod.Host.PID", &["k8s.pod.host-namespace-shared"]),
    ("Kubernetes.Pod.HostPath.Volume", &["k8s.pod.sensitive-host-path-mounted"]),
    ("Kubernetes.Pod.Privileged.Created", &["k8s.pod.privileged-created"]),
    ("Kubernetes.Role.Wildcard", &["k8s.rbac.wildcard-or-escalating-role-created"]),
];

/// Disagreements kept: (Panther rule id, the row's test name, why our rule is right).
const KEPT: &[(&str, &str, &str)] = &[
    (
        "AWS.ConfigService.Created",
        "Config Recorder Deleted",
        "CIS 4.9 asks for every change to AWS Config, deletions as much as creations; this row belongs to Panther's rule for creations",
    ),
    (
        "AWS.CloudTrail.NetworkACLPermissiveEntry",
        "Not Overly Permissive Entry Added",
        "CIS 4.11 asks for every network ACL change; Panther's rule is about permissive entries only",
    ),
    (
        "GCP.Service.Account.or.Keys.Created",
        "Created Service Account",
        "ours reports keys, the credential that works from anywhere; a service account without a key is no credential yet",
    ),
    (
        "GCP.K8S.Privileged.Pod.Created",
        "Run-As-Root Pod Created",
        "as 'Pod with runAsUser=0 (root)' of Kubernetes.Pod.Privileged.Created",
    ),
    (
        "AWS.CloudTrail.LoginProfileCreatedOrModified",
        "ChangeOwnPassword",
        "telling a user's own password change from a reset of another's means comparing the session's name with `userName`; the rule language compares fields with values only, so ours reports every UpdateLoginProfile",
    ),
    (
        "AWS.CloudTrail.SnapshotMadePublic",
        "Snapshot Not Made Publicly Accessible",
        "the snapshot is shared with another account: Stratus Red Team's ec2-share-ebs-snapshot is exactly that, and ours reports it; Panther's rule is about public snapshots only",
    ),
    (
        "AWS.CloudTrail.UnauthorizedAPICall",
        "Unauthorized API Call from Within AWS (FQDN)",
        "CIS 4.1's metric filter counts every AccessDenied/UnauthorizedOperation but log delivery's and HeadBucket's; Panther leaves out calls a service made for the user, which CIS does not",
    ),
    (
        "AWS.ConfigService.DisabledDeleted",
        "Config Recorder Delivery Channel Created",
        "CIS 4.9 asks for every change to AWS Config's recorder and delivery channel, PutDeliveryChannel among them; Panther's rule is about disabling only",
    ),
    (
        "AWS.IAM.Backdoor.User.Keys",
        "jack create keys for jackson",
        "an IAM user creating a key for another IAM user: ours cannot tell it from a user creating its own without comparing two fields, which the rule language cannot; reported by ours for roles, federated sessions and root",
    ),
    (
        "AWS.IAM.Backdoor.User.Keys",
        "jackson create keys for jack",
        "as 'jack create keys for jackson'",
    ),
    (
        "AWS.IAM.Backdoor.User.Keys",
        "user1 create keys for user2",
        "as 'jack create keys for jackson'",
    ),
    (
        "AWS.Lambda.UpdateFunctionConfiguration",
        "FederatedUser Updates Lambda Configuration with Layers",
        "the request sets no layers; only the response lists them, and the response lists a function's layers after any change, so reading it would report every update of a function that has layers",
    ),
    (
        "AWS.Lambda.UpdateFunctionConfiguration",
        "IAM User Updates Lambda Configuration with Layers",
        "as 'FederatedUser Updates Lambda Configuration with Layers'",
    ),
    (
        "AWS.Lambda.UpdateFunctionConfiguration",
        "SSO AssumedRole Updates Lambda Configuration with Layers",
        "as 'FederatedUser Updates Lambda Configuration with Layers'",
    ),
    (
        "AWS.Potential.Backdoor.Lambda",
        "Lambda Add Permission Event",
        "the request names no principal; the backdoor (Stratus lambda-backdoor-function) is a grant to everyone or to another account, while grants to the account's own services are routine",
    ),
    (
        "AWS.Potential.Backdoor.Lambda",
        "Lambda Add Permission Event v2",
        "as 'Lambda Add Permission Event'",
    ),
    (
        "AWS.Root.Activity",
        "Root Activity - CreateServiceLinkedRole",
        "CIS 4.3 asks for every use of the root user; only what AWS does as root is left out, and this call is the root user's own",
    ),
    (
        "AWS.Root.Activity",
        "Root Read-Only Enumeration",
        "as 'Root Activity - CreateServiceLinkedRole': reads by root are root use",
    ),
    (
        "AWS.SecretsManager.BatchRetrieveSecretsCatchAll",
        "BatchGetSecretValue Catch-All with other filters",
        "ours reports every batch retrieval (Stratus secretsmanager-batch-retrieve-secrets filters by tag); Panther splits the filter-less ones into this rule and the rest into AWS.SecretsManager.BatchRetrieveSecrets",
    ),
    (
        "Azure.MonitorActivity.Compute.VMCommandExecuted",
        "Gallery Application Version Write",
        "publishing a gallery application runs nothing by itself; it runs when assigned to a machine",
    ),
    (
        "Azure.MonitorActivity.Compute.VMCommandExecuted",
        "Serial Console Connect",
        "an interactive console is remote access, not a command run through the management plane (T1651)",
    ),
    (
        "Azure.MonitorActivity.Compute.VMCommandExecuted",
        "VM Extension Write (CustomScript/DSC)",
        "extension writes are how monitoring and security agents are installed across a fleet; the record does not say which extension type it is, so reporting them all would report every agent rollout",
    ),
    (
        "GCP.IAM.serviceAccounts.getAccessToken.Privilege.Escalation",
        "iam.serviceAccounts.getAccessToken granted",
        "a service account signing as itself; ours reports people minting a service account's credentials, as pipelines' service accounts impersonate by design",
    ),
    (
        "GCP.IAM.serviceAccounts.signBlob",
        "iam.serviceAccounts.signBlob granted",
        "as 'iam.serviceAccounts.getAccessToken granted'",
    ),
    (
        "GCP.IAM.serviceAccounts.signJwt.Privilege.Escalation",
        "JWT Signed",
        "as 'iam.serviceAccounts.getAccessToken granted'",
    ),
    (
        "GCP.iam.serviceAccountKeys.create",
        "privilege-escalation",
        "a Deployment Manager deployment whose permission check names iam.serviceAccountKeys.create; ours reports the key's creation itself (CreateServiceAccountKey), which the deployment logs as its own entry",
    ),
    (
        "Kubernetes.ClusterRoleBinding.Privileged",
        "AKS ClusterRoleBinding to system:masters",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.ClusterRoleBinding.Privileged",
        "GKE ClusterRoleBinding to admin role",
        "its methodName `io.k8s.rbac.v1.*` is not what GKE writes (`io.k8s.authorization.rbac.v1.*`, the group's full name), which our rule reads",
    ),
    (
        "Kubernetes.ClusterRoleBinding.Privileged",
        "RoleBinding (not ClusterRoleBinding)",
        "a RoleBinding to cluster-admin makes its subject administrator of the namespace, its secrets and its RBAC included: an escalation as much as the cluster-wide one",
    ),
    (
        "Kubernetes.Pod.Exec",
        "AKS Exec Into Pod (realistic)",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Pod.Host.IPC",
        "AKS Pod with HostIPC",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Pod.Host.Network",
        "AKS Pod With Host Network",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Pod.Host.PID",
        "AKS Pod With Host PID",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Pod.HostPath.Volume",
        "AKS Pod With HostPath",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Pod.Privileged.Created",
        "AKS Privileged Pod Created",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Pod.Privileged.Created",
        "Pod with runAsUser=0 (root)",
        "running as root is not privileged mode: without privileges, host namespaces or host mounts a root container does not reach its node (T1611 needs one of those, which ours report)",
    ),
    (
        "Kubernetes.Pod.Privileged.Created",
        "Run-As-Root Pod Created",
        "as 'Pod with runAsUser=0 (root)'",
    ),
    (
        "Kubernetes.Role.Wildcard",
        "AKS Role with wildcard verbs only",
        "an AKS kube-audit record (the audit event as text in `properties.log`), which the host's normalizer refuses: no rule of any source sees it",
    ),
    (
        "Kubernetes.Role.Wildcard",
        "GKE ClusterRole with wildcard resources only",
        "its methodName `io.k8s.rbac.v1.*` is not what GKE writes (`io.k8s.authorization.rbac.v1.*`, the group's full name), which our rule reads",
    ),
    (
        "Kubernetes.Role.Wildcard",
        "Updating existing role (not creating)",
        "rewriting an existing role to a wildcard grants the same as creating one; ours reports updates and patches too",
    ),
];

/// One labeled row our pack covers.
struct Row {
    file: String,
    line: usize,
    rule_id: String,
    test: String,
    expected: bool,
    ours: &'static [&'static str],
    record: Value,
}

fn covered_rows() -> Option<Vec<Row>> {
    let dir = support::fixture("panther")?;
    let covered: BTreeMap<&str, &'static [&'static str]> = COVERED.iter().copied().collect();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let file = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for (index, line) in text.lines().enumerate() {
            let row: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}:{}: {e}", index + 1));
            let rule_id = row["rule_id"].as_str().unwrap_or_default();
            let Some(ours) = covered.get(rule_id) else { continue };
            if row["needs_mocks"].as_bool() != Some(false) {
                continue;
            }
            rows.push(Row {
                file: file.clone(),
                line: index + 1,
                rule_id: rule_id.to_string(),
                test: row["test"].as_str().unwrap_or_default().to_string(),
                expected: row["expected"]
                    .as_bool()
                    .unwrap_or_else(|| panic!("{file}:{}: no expected", index + 1)),
                ours,
                record: row["event"].clone(),
            });
        }
    }
    Some(rows)
}

/// The rule names of ours that fired on each row (by index), the pack run through the built
/// component in one engine. Each row's event gets an id of its own, since Panther's test
/// events reuse ids.
fn findings_by_row(rows: &[Row]) -> BTreeMap<usize, BTreeSet<String>> {
    let mut spec = PluginSpec::new("rules", support::component("rules"), Value::Null);
    spec.files = rule_files();
    let settings = EngineSettings {
        workers: 1,
        cache_dir: std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-cache"),
        ..EngineSettings::default()
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::start(settings, vec![spec], tx).expect("the engine starts with the pack");
    for (index, row) in rows.iter().enumerate() {
        let raw = RawRecord {
            origin: Origin::line(Arc::from(format!("{}.jsonl", row.file)), row.line as u64),
            text: Arc::from(row.record.to_string()),
        };
        let Ok(normalized) = trailhound::enrich::normalized(raw, None) else { continue };
        if let Some(mut record) = normalized.into_record() {
            record.event.id = format!("row-{index}");
            engine.submit(record).expect("submit");
        }
    }
    let report = engine.finish().expect("finish");
    assert!(report.plugins.iter().all(|p| p.stats.last_fault.is_none()), "the rules plugin faulted");
    let mut fired: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for detection in rx.into_iter() {
        for id in &detection.finding.event_ids {
            if let Some(index) = id.strip_prefix("row-").and_then(|i| i.parse().ok()) {
                fired.entry(index).or_default().insert(detection.finding.rule_id.clone());
            }
        }
    }
    fired
}

#[test]
fn the_pack_agrees_with_panther_on_the_threats_it_covers() {
    let Some(rows) = covered_rows() else { return };
    let fired = findings_by_row(&rows);
    let kept: BTreeMap<(&str, &str), &str> = KEPT.iter().map(|(r, t, why)| ((*r, *t), *why)).collect();

    // Per log type: rows covered, agreed, disagreed (kept with a reason).
    let mut table: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut kept_seen = BTreeSet::new();
    for (index, row) in rows.iter().enumerate() {
        let ours = fired.get(&index).is_some_and(|names| row.ours.iter().any(|n| names.contains(*n)));
        let entry = table.entry(&row.file).or_default();
        entry.0 += 1;
        if ours == row.expected {
            entry.1 += 1;
            continue;
        }
        entry.2 += 1;
        let what = format!(
            "{}:{} {} {:?}: Panther expects {}, ours {} ({})",
            row.file,
            row.line,
            row.rule_id,
            row.test,
            row.expected,
            ours,
            row.ours.join(", ")
        );
        match kept.get(&(row.rule_id.as_str(), row.test.as_str())) {
            Some(why) => {
                kept_seen.insert((row.rule_id.as_str(), row.test.as_str()));
                eprintln!("kept  {what}: {why}");
            }
            None => {
                eprintln!("FAIL  {what}");
                unexplained.push(what);
            }
        }
    }
    eprintln!("{:<16} {:>7} {:>7} {:>9}", "log type", "covered", "agreed", "disagreed");
    for (file, (covered, agreed, disagreed)) in &table {
        eprintln!("{file:<16} {covered:>7} {agreed:>7} {disagreed:>9}");
    }
    let stale: Vec<_> = kept.keys().filter(|k| !kept_seen.contains(*k)).collect();
    assert!(stale.is_empty(), "kept disagreements that no longer happen: {stale:?}");
    assert!(
        unexplained.is_empty(),
        "{} unexplained disagreements:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
