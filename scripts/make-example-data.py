#!/usr/bin/env python3
"""Writes the bundled example dataset, examples/data/, deterministically.

One synthetic day (2026-11-03, UTC) of AWS CloudTrail from three accounts of the fictional
company Acme, with two attack stories hidden in benign background activity:

  1. an insider who hops from an EC2 instance through a bastion and a chain of role
     assumptions to privilege escalation, persistence, snapshot sharing and failed
     cross-account assumes;
  2. a bucket made public whose encryption is then removed.

CloudTrail files are laid out as delivered to S3
(AWSLogs/<acct>/CloudTrail/<region>/2026/11/03/<acct>_CloudTrail_<region>_<time>_<rand>.json.gz,
each a {"Records": [...]} document); one account's events are written as JSON lines under
extra/ to show the other input format. examples/data/README.md describes the stories.

Python 3 standard library only. A fixed seed and fixed gzip headers make every run write
byte-identical files, so the data can be regenerated and diffed:

    python3 scripts/make-example-data.py            # writes examples/data/
    python3 scripts/make-example-data.py --out DIR  # somewhere else
"""

import argparse
import datetime as dt
import gzip
import json
import random
import shutil
import string
import uuid
from pathlib import Path

SEED = 20261103
DAY = dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc)

# Accounts. Acme's own: the shared dev/tools account, production, marketing.
DEV = "418295730164"
PROD = "738219460512"
MARKETING = "562014837795"
# Not Acme's: where the insider shares a snapshot, and the corporate accounts they probe.
FOREIGN_SNAPSHOT_TARGET = "903481726654"
EXTERNAL_CORPORATE = ["215876403921", "664120987345", "381726504918"]
DATADOG = "464622532012"  # a monitoring vendor's account, trusted with an external id

# Story 1: the insider and the path they take. Keep in sync with examples/data/README.md and
# tests/story-fixtures/src/lib.rs.
INSIDER = "m.hollis"
WORKSTATION = "i-0a4f19c2d7e3b5816"
WORKSTATION_ROLE = "analytics-workstation-role"
BASTION = "i-07d2e8b1c9f4a6035"
BASTION_ROLE = "bastion-host-role"
DEV_ROLE = "dev-platform-admin"
PROD_ROLE = "prod-ops-admin"
DEV_SESSION = "botocore-session-1793784262"
PROD_SESSION = "botocore-session-1793786118"
ESCALATED_POLICY = "ci-deploy-permissions"
KEY_TARGET_USER = "svc-terraform"
SHARED_SNAPSHOT = "snap-0c71e9a4b2d58f306"

# Story 2: the exposed bucket.
EXPOSER = "k.brennan"
EXPOSED_BUCKET = "acme-campaign-assets-2026"

CLI_UA = (
    "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1017-aws md/arch#x86_64 "
    "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#ubuntu.24 md/prompt#off md/command#{}"
)
BOTO_UA = "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54"
TF_UA = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.3"
BROWSER_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
CONSOLE_UA = "AWS Internal"
SSM_AGENT_UA = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0"
DATADOG_UA = "datadog-aws-integration/1.0 aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5"
GITHUB_UA = "aws-sdk-js/3.682.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/sts#3.682.0 m/E"

ALNUM_UPPER = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits

rng = random.Random(SEED)


def rid(prefix, n=16, alphabet=ALNUM_UPPER):
    return prefix + "".join(rng.choice(alphabet) for _ in range(n))


def new_uuid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def at(hh, mm, ss=0):
    return DAY + dt.timedelta(hours=hh, minutes=mm, seconds=ss)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def cloudtrail_date(t):
    """The odd date format CloudTrail uses inside responseElements."""
    return t.strftime("%b %-d, %Y, %-I:%M:%S %p")


def s3_request_id():
    return rid("", 16, string.digits + "ABCDEF")


# ---------------------------------------------------------------------------------------------
# Principals


class Principal:
    """Something that signs requests; renders its own userIdentity block."""

    def __init__(self, identity, ip, ua, account):
        self.identity = identity
        self.ip = ip
        self.ua = ua
        self.account = account


def iam_user(account, name, ip, ua, key=None, console=False, mfa=False):
    identity = {
        "type": "IAMUser",
        "principalId": rid("AIDA", 17),
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "accessKeyId": key or rid("AKIA"),
        "userName": name,
    }
    if console:
        identity["accessKeyId"] = rid("ASIA")
        identity["sessionContext"] = {
            "attributes": {"creationDate": ts(at(7, 55)), "mfaAuthenticated": "true" if mfa else "false"}
        }
    return Principal(identity, ip, ua, account)


class Role:
    def __init__(self, account, name, path="/"):
        self.account = account
        self.name = name
        self.arn = f"arn:aws:iam::{account}:role{path}{name}"
        self.role_id = rid("AROA", 17)


def session(role, session_name, ip, ua, key=None, mfa=False, created=None, ec2=False, source_identity=None):
    context = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": role.role_id,
            "arn": role.arn,
            "accountId": role.account,
            "userName": role.name,
        },
        "attributes": {"creationDate": ts(created or at(6, 0)), "mfaAuthenticated": "true" if mfa else "false"},
    }
    if source_identity:
        context["sourceIdentity"] = source_identity
    if ec2:
        context["ec2RoleDelivery"] = "2.0"
    identity = {
        "type": "AssumedRole",
        "principalId": f"{role.role_id}:{session_name}",
        "arn": f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{session_name}",
        "accountId": role.account,
        "accessKeyId": key or rid("ASIA"),
        "sessionContext": context,
    }
    return Principal(identity, ip, ua, role.account)


def service(name):
    return Principal({"type": "AWSService", "invokedBy": name}, name, name, None)


# ---------------------------------------------------------------------------------------------
# Records

TLS_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"]

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "Search", "Scan", "BatchGet", "Query")

records = []


def host_of(source, region):
    svc = source.split(".")[0]
    if svc in ("iam", "sts", "signin", "organizations", "s3", "cloudfront"):
        return f"{svc}.amazonaws.com"
    return f"{svc}.{region}.amazonaws.com"


def emit(
    who,
    t,
    source,
    name,
    region="us-east-1",
    request=None,
    response=None,
    resources=None,
    error=None,
    read_only=None,
    recipient=None,
    event_type="AwsApiCall",
    extra=None,
    ip=None,
    ua=None,
):
    """Appends one CloudTrail record; returns it so callers can read ids back."""
    if read_only is None:
        read_only = name.startswith(READ_PREFIXES)
    record = {
        "eventVersion": "1.10" if source in ("s3.amazonaws.com", "ssm.amazonaws.com") else "1.09",
        "userIdentity": who.identity,
        "eventTime": ts(t),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip or who.ip,
        "userAgent": ua or who.ua,
    }
    if error:
        record["errorCode"], record["errorMessage"] = error
    record["requestParameters"] = request
    record["responseElements"] = None if error else response
    if extra:
        record.update(extra)
    record["requestID"] = s3_request_id() if source == "s3.amazonaws.com" else new_uuid()
    record["eventID"] = new_uuid()
    record["readOnly"] = read_only
    if resources:
        record["resources"] = resources
    record["eventType"] = event_type
    record["managementEvent"] = True
    record["recipientAccountId"] = recipient or who.account
    record["eventCategory"] = "Management"
    # Services calling on their own behalf reach AWS internally: no TLS session to describe.
    if who.identity["type"] != "AWSService":
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3" if rng.random() < 0.8 else "TLSv1.2",
            "cipherSuite": rng.choice(TLS_SUITES),
            "clientProvidedHostHeader": host_of(source, region),
        }
    records.append(record)
    return record


def role_resource(role_arn, account):
    return [{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}]


def instance_resource(account, region, instance):
    return [{"accountId": account, "type": "AWS::EC2::Instance", "ARN": f"arn:aws:ec2:{region}:{account}:instance/{instance}"}]


def assume_role(who, t, role, session_name, external_id=None, mfa_serial=None, duration=3600, key=None, ua=None):
    """A successful sts:AssumeRole; returns the issued access key id."""
    key = key or rid("ASIA")
    request = {"roleArn": role.arn, "roleSessionName": session_name}
    if duration != 3600:
        request["durationSeconds"] = duration
    if external_id:
        request["externalId"] = external_id
    if mfa_serial:
        request["serialNumber"] = mfa_serial
        request["tokenCode"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
    response = {
        "credentials": {
            "accessKeyId": key,
            "sessionToken": "IQoJb3JpZ2luX2VjE" + rid("", 40, ALNUM),
            "expiration": cloudtrail_date(t + dt.timedelta(seconds=duration)),
        },
        "assumedRoleUser": {
            "assumedRoleId": f"{role.role_id}:{session_name}",
            "arn": f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{session_name}",
        },
    }
    emit(who, t, "sts.amazonaws.com", "AssumeRole", request=request, response=response, read_only=True, ua=ua,
         resources=role_resource(role.arn, role.account), recipient=who.account or role.account)
    return key


def denied(who, action, resource):
    return ("AccessDenied", f"User: {who.identity['arn']} is not authorized to perform: {action} on resource: {resource} "
            "because no identity-based policy allows the " + action + " action")


# ---------------------------------------------------------------------------------------------
# Story 1: the insider


def story_insider():
    office_ip = "203.0.113.48"
    nat_ip = "198.51.100.23"  # the dev VPC's NAT gateway: calls from instances leave through it
    insider = iam_user(DEV, INSIDER, office_ip, CLI_UA.format("ssm.start-session"))
    workstation_role = Role(DEV, WORKSTATION_ROLE)
    bastion_role = Role(DEV, BASTION_ROLE)
    dev_role = ROLES["dev"]
    prod_role = ROLES["prod"]

    # The workstation's own agent, before and after the insider arrives.
    ws = session(workstation_role, WORKSTATION, nat_ip, SSM_AGENT_UA, created=at(6, 12), ec2=True)
    for hh, mm in [(7, 3), (8, 11), (9, 7), (10, 31), (12, 2), (15, 40)]:
        emit(ws, at(hh, mm, rng.randrange(60)), "ssm.amazonaws.com", "UpdateInstanceInformation",
             request={"instanceId": WORKSTATION, "agentVersion": "3.3.1142.0", "agentStatus": "Active",
                      "platformType": "Linux", "platformName": "Ubuntu", "platformVersion": "24.04",
                      "iPAddress": "10.20.4.117", "computerName": "ip-10-20-4-117.ec2.internal",
                      "agentName": "amazon-ssm-agent", "availabilityZone": "us-east-1b",
                      "availabilityZoneId": "use1-az4", "sSMConnectionChannel": "ssmmessages"},
             read_only=False)

    # 09:12 the insider opens a shell on the analytics workstation.
    session_id = f"{INSIDER}-{rid('', 17, '0123456789abcdef')}"
    emit(insider, at(9, 12, 8), "ssm.amazonaws.com", "StartSession",
         request={"target": WORKSTATION},
         response={"sessionId": session_id, "tokenValue": "Value hidden due to security reasons.",
                   "streamUrl": f"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe&cell-number=AAEAAfKQ"},
         resources=instance_resource(DEV, "us-east-1", WORKSTATION))

    # 09:14 reconnaissance with the workstation's instance role, as seen from the shell.
    # The shell runs the AWS CLI with the same instance-role credentials the agent uses.
    recon = ws

    def cli(command):
        return CLI_UA.format(command)

    emit(recon, at(9, 14, 2), "sts.amazonaws.com", "GetCallerIdentity", ua=cli("sts.get-caller-identity"))
    emit(recon, at(9, 14, 40), "iam.amazonaws.com", "ListUsers", ua=cli("iam.list-users"))
    emit(recon, at(9, 15, 3), "iam.amazonaws.com", "ListRoles", ua=cli("iam.list-roles"))
    emit(recon, at(9, 15, 31), "iam.amazonaws.com", "ListGroups", ua=cli("iam.list-groups"))
    emit(recon, at(9, 16, 9), "s3.amazonaws.com", "ListBuckets", ua=cli("s3api.list-buckets"),
         request={"Host": "s3.amazonaws.com"},
         extra={"additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                        "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                        "x-amz-id-2": rid("", 56, ALNUM + "+/="), "bytesTransferredOut": 6212}})
    for i, region in enumerate(["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1"]):
        # eu-west-1 sorts before us-east-1 in S3 key order: keep the story's later-region recon in
        # us-* so a reader replaying files in key order sees the session before its calls.
        if region == "eu-west-1":
            continue
        base = at(9, 17 + i, 5)
        emit(recon, base, "ec2.amazonaws.com", "DescribeInstances", region=region, ua=cli("ec2.describe-instances"),
             request={"instancesSet": {}, "filterSet": {}})
        emit(recon, base + dt.timedelta(seconds=14), "ec2.amazonaws.com", "DescribeSecurityGroups", region=region,
             ua=cli("ec2.describe-security-groups"),
             request={"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}})
        emit(recon, base + dt.timedelta(seconds=29), "ec2.amazonaws.com", "DescribeSnapshots", region=region,
             ua=cli("ec2.describe-snapshots"),
             request={"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "sharedUsersSet": {}, "filterSet": {}})
    emit(recon, at(9, 23, 44), "iam.amazonaws.com", "GetAccountAuthorizationDetails",
         ua=cli("iam.get-account-authorization-details"), request=None)
    emit(recon, at(9, 24, 20), "iam.amazonaws.com", "ListRolePolicies", ua=cli("iam.list-role-policies"),
         request={"roleName": BASTION_ROLE},
         error=denied(recon, "iam:ListRolePolicies", bastion_role.arn))

    # 09:31 the insider pushes a key to the bastion with EC2 Instance Connect, from the workstation.
    emit(recon, at(9, 31, 12), "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", ua=cli("ec2-instance-connect.send-ssh-public-key"),
         request={"instanceId": BASTION, "instanceOSUser": "ec2-user",
                  "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rid("", 43, ALNUM) + " mhollis@analytics"},
         response={"requestId": new_uuid(), "success": True},
         resources=instance_resource(DEV, "us-east-1", BASTION), read_only=False)

    # 09:34 from the bastion's role: what may the dev admin role do, and who may assume it?
    bastion = session(bastion_role, BASTION, "198.51.100.61", cli("iam.list-role-policies"), created=at(5, 48), ec2=True)
    emit(bastion, at(9, 34, 2), "sts.amazonaws.com", "GetCallerIdentity", ua=cli("sts.get-caller-identity"))
    emit(bastion, at(9, 34, 51), "iam.amazonaws.com", "ListRolePolicies", ua=cli("iam.list-role-policies"),
         request={"roleName": DEV_ROLE})
    emit(bastion, at(9, 35, 20), "iam.amazonaws.com", "ListAttachedRolePolicies", ua=cli("iam.list-attached-role-policies"),
         request={"roleName": DEV_ROLE})
    emit(bastion, at(9, 36, 2), "iam.amazonaws.com", "GetRolePolicy", ua=cli("iam.get-role-policy"),
         request={"roleName": DEV_ROLE, "policyName": "dev-platform-inline"})
    emit(bastion, at(9, 37, 15), "iam.amazonaws.com", "GetRole", ua=cli("iam.get-role"), request={"roleName": DEV_ROLE})
    emit(bastion, at(9, 38, 40), "iam.amazonaws.com", "ListPolicyVersions", ua=cli("iam.list-policy-versions"),
         request={"policyArn": f"arn:aws:iam::{DEV}:policy/{ESCALATED_POLICY}"})

    # 09:44 the dev admin role trusts the bastion role: no MFA, no external id.
    dev_key = assume_role(bastion, at(9, 44, 3), dev_role, DEV_SESSION, ua=cli("sts.assume-role"))
    dev = session(dev_role, DEV_SESSION, "198.51.100.61", cli("sts.get-caller-identity"), key=dev_key, created=at(9, 44, 3))
    emit(dev, at(9, 45, 1), "sts.amazonaws.com", "GetCallerIdentity", ua=cli("sts.get-caller-identity"))
    policy_arn = f"arn:aws:iam::{DEV}:policy/{ESCALATED_POLICY}"
    emit(dev, at(9, 47, 30), "iam.amazonaws.com", "GetPolicyVersion", ua=cli("iam.get-policy-version"),
         request={"policyArn": policy_arn, "versionId": "v1"})
    # 09:51 roll the CI policy back to v1, which allowed iam:* and ec2:* on everything.
    emit(dev, at(9, 51, 9), "iam.amazonaws.com", "SetDefaultPolicyVersion", ua=cli("iam.set-default-policy-version"),
         request={"policyArn": policy_arn, "versionId": "v1"}, response=None, read_only=False)
    # 09:55 persistence: a long-term key for the Terraform service user.
    key_id = rid("AKIA")
    emit(dev, at(9, 55, 42), "iam.amazonaws.com", "CreateAccessKey", ua=cli("iam.create-access-key"),
         request={"userName": KEY_TARGET_USER},
         response={"accessKey": {"userName": KEY_TARGET_USER, "accessKeyId": key_id, "status": "Active",
                                 "createDate": cloudtrail_date(at(9, 55, 42))}}, read_only=False)
    # 10:02 find the customer database volume's snapshot and share it outside the company.
    emit(dev, at(10, 2, 17), "ec2.amazonaws.com", "DescribeSnapshots", ua=cli("ec2.describe-snapshots"),
         request={"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "sharedUsersSet": {},
                  "filterSet": {"items": [{"name": "tag:Name", "valueSet": {"items": [{"value": "customers-db*"}]}}]}})
    emit(dev, at(10, 5, 33), "ec2.amazonaws.com", "ModifySnapshotAttribute", ua=cli("ec2.modify-snapshot-attribute"),
         request={"snapshotId": SHARED_SNAPSHOT, "createVolumePermission": {"add": {"items": [{"userId": FOREIGN_SNAPSHOT_TARGET}]}},
                  "attributeType": "CREATE_VOLUME_PERMISSION"},
         response={"requestId": new_uuid(), "_return": True}, read_only=False)
    # 10:11 on to production.
    prod_key = assume_role(dev, at(10, 11, 26), prod_role, PROD_SESSION, ua=cli("sts.assume-role"))
    prod = session(prod_role, PROD_SESSION, "198.51.100.61", cli("sts.get-caller-identity"), key=prod_key, created=at(10, 11, 26))
    emit(prod, at(10, 12, 3), "sts.amazonaws.com", "GetCallerIdentity", ua=cli("sts.get-caller-identity"))
    emit(prod, at(10, 13, 19), "iam.amazonaws.com", "ListRoles", ua=cli("iam.list-roles"))
    emit(prod, at(10, 14, 2), "organizations.amazonaws.com", "DescribeOrganization", ua=cli("organizations.describe-organization"),
         error=("AccessDeniedException", "You don't have permissions to access this resource."))
    # 10:16 try the roles other corporate accounts commonly expose.
    for i, (account, role_name) in enumerate(zip(EXTERNAL_CORPORATE, ["OrganizationAccountAccessRole", "partner-integration", "Admin"])):
        arn = f"arn:aws:iam::{account}:role/{role_name}"
        emit(prod, at(10, 16 + i, 11 + 7 * i), "sts.amazonaws.com", "AssumeRole", ua=cli("sts.assume-role"),
             request={"roleArn": arn, "roleSessionName": f"mh-{i + 1}"},
             error=("AccessDenied", f"User: {prod.identity['arn']} is not authorized to perform: sts:AssumeRole on resource: {arn}"),
             read_only=True, resources=role_resource(arn, account))
    emit(insider, at(10, 24, 50), "ssm.amazonaws.com", "TerminateSession", ua=cli("ssm.terminate-session"),
         request={"sessionId": session_id}, response={"sessionId": session_id})


# ---------------------------------------------------------------------------------------------
# Story 2: a public bucket loses its encryption (marketing account, written as JSON lines)


def story_bucket():
    who = iam_user(MARKETING, EXPOSER, "192.0.2.77", BROWSER_UA, console=True, mfa=False)
    who.ua = CONSOLE_UA
    region = "eu-west-1"
    host = f"{EXPOSED_BUCKET}.s3.{region}.amazonaws.com"
    bucket_res = [{"accountId": MARKETING, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{EXPOSED_BUCKET}"}]

    def s3(t, name, request, response=None, read_only=False):
        emit(who, t, "s3.amazonaws.com", name, region=region, request=request, response=response, read_only=read_only,
             resources=bucket_res, extra={"additionalEventData": s3_extra()})

    console_login(who, at(12, 58, 40), mfa=False)
    s3(at(13, 2, 4), "CreateBucket", {"CreateBucketConfiguration": {"LocationConstraint": region,
                                                                     "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"},
                                      "bucketName": EXPOSED_BUCKET, "Host": host,
                                      "x-amz-acl": ["public-read"], "x-amz-object-ownership": ["ObjectWriter"]})
    s3(at(13, 2, 9), "PutBucketEncryption", {"bucketName": EXPOSED_BUCKET, "Host": host, "encryption": "",
                                            "ServerSideEncryptionConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                                                                                  "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": f"arn:aws:kms:{region}:{MARKETING}:alias/marketing-data"},
                                                                                           "BucketKeyEnabled": True}}})
    s3(at(13, 5, 51), "DeletePublicAccessBlock", {"bucketName": EXPOSED_BUCKET, "Host": host, "publicAccessBlock": ""})
    owner = rid("", 64, "0123456789abcdef")
    s3(at(13, 6, 30), "PutBucketAcl", {"bucketName": EXPOSED_BUCKET, "Host": host, "acl": "",
                                       "AccessControlPolicy": {"AccessControlList": {"Grant": [
                                           {"Grantee": {"xsi:type": "CanonicalUser", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "ID": owner}, "Permission": "FULL_CONTROL"},
                                           {"Grantee": {"xsi:type": "Group", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]},
                                           "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Owner": {"ID": owner}}})
    s3(at(13, 7, 2), "GetBucketAcl", {"bucketName": EXPOSED_BUCKET, "Host": host, "acl": ""}, read_only=True)
    # 15:40 the KMS key "slowed down the CDN": encryption configuration deleted.
    s3(at(15, 40, 18), "DeleteBucketEncryption", {"bucketName": EXPOSED_BUCKET, "Host": host, "encryption": ""})
    s3(at(15, 41, 0), "GetBucketEncryption", {"bucketName": EXPOSED_BUCKET, "Host": host, "encryption": ""}, read_only=True)


def s3_extra():
    return {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader", "x-amz-id-2": rid("", 56, ALNUM + "+/="), "bytesTransferredOut": 0}


# ---------------------------------------------------------------------------------------------
# Background: benign activity from the rest of Acme


def spread(start, end, n):
    """n sorted random times between two (hh, mm) marks."""
    a, b = at(*start), at(*end)
    span = int((b - a).total_seconds())
    return sorted(a + dt.timedelta(seconds=rng.randrange(span)) for _ in range(n))


def console_login(user, t, mfa=True, fail=False):
    extra = {"additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                                     "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"}}
    if mfa:
        extra["additionalEventData"]["MFAIdentifier"] = f"arn:aws:iam::{user.account}:mfa/{user.identity['userName']}"
    identity = dict(user.identity)
    identity.pop("accessKeyId", None)
    identity.pop("sessionContext", None)
    p = Principal(identity, user.ip, BROWSER_UA, user.account)
    emit(p, t, "signin.amazonaws.com", "ConsoleLogin", request=None, event_type="AwsConsoleSignIn",
         response={"ConsoleLogin": "Failure" if fail else "Success"},
         error=("Failed authentication", "Failed authentication") if fail else None, extra=extra)


def background():
    roles = ROLES
    # --- Humans in the dev account -------------------------------------------------------------
    alice = iam_user(DEV, "alice.nguyen", "203.0.113.12", CONSOLE_UA, console=True, mfa=True)
    console_login(alice, at(8, 2, 11))
    for t in spread((8, 3), (17, 30), 40):
        name, req = rng.choice([
            ("DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
            ("DescribeVolumes", {"volumeSet": {}, "filterSet": {}}),
            ("DescribeSecurityGroups", {"securityGroupSet": {}, "filterSet": {}}),
            ("DescribeAlarms", None),
            ("GetMetricData", None),
        ])
        src = "monitoring.amazonaws.com" if name in ("DescribeAlarms", "GetMetricData") else "ec2.amazonaws.com"
        emit(alice, t, src, name, request=req)
    emit(alice, at(11, 20, 4), "ec2.amazonaws.com", "RebootInstances",
         request={"instancesSet": {"items": [{"instanceId": "i-0e5b2a9c81d4f7360"}]}}, response={"requestId": new_uuid(), "_return": True},
         resources=instance_resource(DEV, "us-east-1", "i-0e5b2a9c81d4f7360"))

    bob = iam_user(DEV, "bob.okafor", "203.0.113.19", CLI_UA.format("s3.ls"))
    for t in spread((8, 30), (18, 0), 25):
        emit(bob, t, "s3.amazonaws.com", rng.choice(["ListBuckets", "GetBucketLocation", "GetBucketVersioning"]),
             request={"Host": "s3.amazonaws.com", "bucketName": "acme-dev-artifacts"},
             extra={"additionalEventData": s3_extra()})
    # Bob rotates his own key: CreateAccessKey for himself is routine.
    new_key = rid("AKIA")
    emit(bob, at(14, 3, 5), "iam.amazonaws.com", "CreateAccessKey", ua=CLI_UA.format("iam.create-access-key"),
         request={"userName": "bob.okafor"},
         response={"accessKey": {"userName": "bob.okafor", "accessKeyId": new_key, "status": "Active", "createDate": cloudtrail_date(at(14, 3, 5))}})
    emit(bob, at(14, 9, 40), "iam.amazonaws.com", "UpdateAccessKey", ua=CLI_UA.format("iam.update-access-key"),
         request={"userName": "bob.okafor", "accessKeyId": bob.identity["accessKeyId"], "status": "Inactive"})

    carol = iam_user(DEV, "carol.smith", "203.0.113.31", CONSOLE_UA, console=True, mfa=True)
    console_login(carol, at(9, 40, 0))
    emit(carol, at(9, 58, 12), "iam.amazonaws.com", "ListPolicies", request={"scope": "Local", "onlyAttached": False})
    emit(carol, at(10, 1, 40), "iam.amazonaws.com", "CreatePolicyVersion",
         request={"policyArn": f"arn:aws:iam::{DEV}:policy/data-lake-readers",
                  "policyDocument": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                                                                     "Resource": ["arn:aws:s3:::acme-data-lake", "arn:aws:s3:::acme-data-lake/*"]}]}),
                  "setAsDefault": False},
         response={"policyVersion": {"versionId": "v4", "isDefaultVersion": False, "createDate": cloudtrail_date(at(10, 1, 40))}})
    emit(carol, at(10, 3, 2), "iam.amazonaws.com", "AttachRolePolicy",
         request={"roleName": "analytics-batch", "policyArn": f"arn:aws:iam::{DEV}:policy/data-lake-readers"})
    emit(carol, at(15, 12, 0), "iam.amazonaws.com", "GetAccountAuthorizationDetails", request={"filter": ["Role"]})

    dan = iam_user(DEV, "dan.kowalski", "203.0.113.40", CLI_UA.format("iam.list-users"))
    emit(dan, at(10, 44, 3), "iam.amazonaws.com", "ListUsers", error=denied(dan, "iam:ListUsers", f"arn:aws:iam::{DEV}:user/"))
    emit(dan, at(10, 46, 20), "s3.amazonaws.com", "GetBucketPolicy", request={"bucketName": "acme-finance-reports", "Host": "acme-finance-reports.s3.amazonaws.com", "policy": ""},
         error=("AccessDenied", "Access Denied"), extra={"additionalEventData": s3_extra()})
    for t in spread((10, 50), (16, 0), 10):
        emit(dan, t, "lambda.amazonaws.com", "GetFunction20150331v2", request={"functionName": "orders-api"})

    erin = iam_user(DEV, "erin.walsh", "203.0.113.55", BOTO_UA)
    for t in spread((9, 0), (17, 0), 30):
        src, name = rng.choice([("athena.amazonaws.com", "StartQueryExecution"), ("athena.amazonaws.com", "GetQueryExecution"),
                                ("glue.amazonaws.com", "GetTables"), ("glue.amazonaws.com", "GetDatabases")])
        emit(erin, t, src, name, request={"workGroup": "analysts"} if src.startswith("athena") else {"databaseName": "sales"},
             read_only=not name.startswith("Start"))

    # Frank assumes the dev admin role the right way: with MFA.
    frank = iam_user(DEV, "frank.li", "203.0.113.63", CLI_UA.format("sts.assume-role"))
    fkey = assume_role(frank, at(11, 2, 44), roles["dev"], "frank.li", mfa_serial=f"arn:aws:iam::{DEV}:mfa/frank.li")
    fdev = session(roles["dev"], "frank.li", frank.ip, CLI_UA.format("cloudformation.deploy"), key=fkey, mfa=True, created=at(11, 2, 44))
    for t in spread((11, 3), (11, 50), 12):
        emit(fdev, t, "cloudformation.amazonaws.com", rng.choice(["DescribeStacks", "DescribeStackEvents", "GetTemplate"]),
             request={"stackName": "platform-network"})
    emit(fdev, at(11, 52, 0), "cloudformation.amazonaws.com", "UpdateStack",
         request={"stackName": "platform-network", "capabilities": ["CAPABILITY_NAMED_IAM"]}, response={"stackId": f"arn:aws:cloudformation:us-east-1:{DEV}:stack/platform-network/{new_uuid()}"})

    grace = iam_user(DEV, "grace.park", "203.0.113.71", CONSOLE_UA, console=True, mfa=True)
    console_login(grace, at(8, 31, 2), fail=True, mfa=False)
    console_login(grace, at(8, 31, 40))
    for t in spread((8, 33), (12, 0), 15):
        emit(grace, t, "rds.amazonaws.com", rng.choice(["DescribeDBInstances", "DescribeDBClusters", "DescribeDBSnapshots"]))

    # Henry opens an SSM session on a build box of his own: a session alone is not a story.
    henry = iam_user(DEV, "henry.adams", "203.0.113.88", CLI_UA.format("ssm.start-session"))
    build_box = "i-0d93c6e1f2a7b4508"
    hid = f"henry.adams-{rid('', 17, '0123456789abcdef')}"
    emit(henry, at(13, 20, 5), "ssm.amazonaws.com", "StartSession", request={"target": build_box},
         response={"sessionId": hid, "tokenValue": "Value hidden due to security reasons.",
                   "streamUrl": f"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{hid}?role=publish_subscribe&cell-number=AAEAAfKQ"},
         resources=instance_resource(DEV, "us-east-1", build_box))
    build_role = Role(DEV, "build-runner-role")
    box = session(build_role, build_box, "198.51.100.23", CLI_UA.format("ecr.get-login-password"), created=at(4, 0), ec2=True)
    emit(box, at(13, 22, 0), "ecr.amazonaws.com", "GetAuthorizationToken", request={"registryIds": [DEV]})
    emit(box, at(13, 25, 0), "ecr.amazonaws.com", "DescribeImages", request={"repositoryName": "orders-api"})
    emit(henry, at(13, 41, 0), "ssm.amazonaws.com", "TerminateSession", request={"sessionId": hid}, response={"sessionId": hid})

    # Ivy reaches the bastion with EC2 Instance Connect, as on-call engineers do.
    ivy = iam_user(DEV, "ivy.chen", "203.0.113.90", CLI_UA.format("ec2-instance-connect.send-ssh-public-key"))
    emit(ivy, at(16, 5, 30), "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey",
         request={"instanceId": BASTION, "instanceOSUser": "ec2-user", "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rid("", 43, ALNUM) + " ivy@laptop"},
         response={"requestId": new_uuid(), "success": True}, resources=instance_resource(DEV, "us-east-1", BASTION), read_only=False)

    # --- Machines in the dev account -----------------------------------------------------------
    # GitHub Actions deploys through OIDC.
    gh_role = roles["github"]
    gh = Principal({"type": "WebIdentityUser", "principalId": f"arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/orders-api:ref:refs/heads/main",
                    "userName": "repo:acme/orders-api:ref:refs/heads/main",
                    "identityProvider": f"arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com"},
                   "20.42.11.9", GITHUB_UA, DEV)
    for run, t in enumerate(spread((9, 0), (17, 30), 6)):
        session_name = f"GitHubActions-{11480231 + run * 17}"
        key = rid("ASIA")
        emit(gh, t, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", read_only=True,
             request={"roleArn": gh_role.arn, "roleSessionName": session_name, "durationSeconds": 3600},
             response={"credentials": {"accessKeyId": key, "sessionToken": "IQoJb3JpZ2luX2VjE" + rid("", 40, ALNUM), "expiration": cloudtrail_date(t + dt.timedelta(hours=1))},
                       "subjectFromWebIdentityToken": "repo:acme/orders-api:ref:refs/heads/main",
                       "assumedRoleUser": {"assumedRoleId": f"{gh_role.role_id}:{session_name}", "arn": f"arn:aws:sts::{DEV}:assumed-role/{gh_role.name}/{session_name}"},
                       "provider": f"arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com", "audience": "sts.amazonaws.com"},
             resources=role_resource(gh_role.arn, DEV))
        s = session(gh_role, session_name, "20.42.11.9", GITHUB_UA, key=key, created=t, source_identity=None)
        step = t
        for name, src, req in [("GetAuthorizationToken", "ecr.amazonaws.com", {"registryIds": [DEV]}),
                               ("InitiateLayerUpload", "ecr.amazonaws.com", {"repositoryName": "orders-api", "registryId": DEV}),
                               ("PutImage", "ecr.amazonaws.com", {"repositoryName": "orders-api", "imageTag": f"sha-{rid('', 7, '0123456789abcdef')}", "registryId": DEV}),
                               ("RegisterTaskDefinition", "ecs.amazonaws.com", {"family": "orders-api", "networkMode": "awsvpc"}),
                               ("UpdateService", "ecs.amazonaws.com", {"cluster": "dev", "service": "orders-api", "forceNewDeployment": False}),
                               ("DescribeServices", "ecs.amazonaws.com", {"cluster": "dev", "services": ["orders-api"]})]:
            step += dt.timedelta(seconds=rng.randrange(20, 90))
            emit(s, step, src, name, request=req)

    # Lambda and ECS assume their execution roles; AWS services act on their own.
    for svc, role, session_name, n in [("lambda.amazonaws.com", roles["lambda"], "orders-api-handler", 5),
                                       ("ecs-tasks.amazonaws.com", roles["task"], "orders-worker-7f3e", 4)]:
        for t in spread((6, 0), (20, 0), n):
            key = assume_role(service(svc), t, role, session_name)
            s = session(role, session_name, "198.51.100.23", BOTO_UA, key=key, created=t)
            emit(s, t + dt.timedelta(seconds=2), "kms.amazonaws.com", "Decrypt", read_only=True,
                 request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": f"arn:aws:kms:us-east-1:{DEV}:alias/orders"},
                 resources=[{"accountId": DEV, "type": "AWS::KMS::Key", "ARN": f"arn:aws:kms:us-east-1:{DEV}:key/{new_uuid()}"}])
            emit(s, t + dt.timedelta(seconds=3), "secretsmanager.amazonaws.com", "GetSecretValue", read_only=True,
                 request={"secretId": f"arn:aws:secretsmanager:us-east-1:{DEV}:secret:orders/db-AbCdEf"})
    lam = session(roles["lambda"], "orders-api-handler", "198.51.100.23", BOTO_UA, created=at(12, 0))
    emit(lam, at(12, 17, 40), "secretsmanager.amazonaws.com", "GetSecretValue",
         request={"secretId": f"arn:aws:secretsmanager:us-east-1:{DEV}:secret:payments/api-key-QxRtYu"},
         error=("AccessDenied", f"User: {lam.identity['arn']} is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:{DEV}:secret:payments/api-key-QxRtYu"))

    for region in ["us-east-1", "eu-west-1"]:
        for t in spread((0, 30), (23, 30), 6):
            svc = service("backup.amazonaws.com")
            snap = "snap-" + rid("", 17, "0123456789abcdef")
            emit(svc, t, "ec2.amazonaws.com", "CreateSnapshot", region=region, recipient=DEV,
                 request={"volumeId": "vol-" + rid("", 17, "0123456789abcdef"), "description": "This snapshot is created by the AWS Backup service."},
                 response={"requestId": new_uuid(), "snapshotId": snap, "status": "pending", "volumeSize": 100, "encrypted": True})
    # AWS Config describes everything, hourly, in both regions: discovery that is not recon.
    config = session(roles["config"], "AWSConfig-Describe", "config.amazonaws.com", "config.amazonaws.com", created=at(0, 1))
    for region in ["us-east-1", "eu-west-1", "us-west-2"]:
        for hour in range(0, 24, 3):
            base = at(hour, rng.randrange(50))
            for k, (src, name) in enumerate([("ec2.amazonaws.com", "DescribeInstances"), ("ec2.amazonaws.com", "DescribeSecurityGroups"),
                                             ("ec2.amazonaws.com", "DescribeVpcs"), ("iam.amazonaws.com", "ListRoles"),
                                             ("s3.amazonaws.com", "ListBuckets"), ("rds.amazonaws.com", "DescribeDBInstances")]):
                if src in ("iam.amazonaws.com", "s3.amazonaws.com") and region != "us-east-1":
                    continue
                emit(config, base + dt.timedelta(seconds=3 * k), src, name, region=region)

    # A monitoring vendor assumes its integration role with an external id, then polls metrics.
    vendor = Principal({"type": "AWSAccount", "principalId": rid("AROA", 17) + ":" + "datadog-aws-integration", "accountId": DATADOG},
                       "3.233.146.19", DATADOG_UA, None)
    for t in spread((0, 5), (23, 55), 8):
        key = assume_role(vendor, t, roles["datadog"], "DatadogAWSIntegration", external_id="0a7c6e1bd47f4f0b9d3f1c2e8a5b6d70")
        s = session(roles["datadog"], "DatadogAWSIntegration", "3.233.146.19", DATADOG_UA, key=key, created=t)
        for k, region in enumerate(["us-east-1", "us-west-2", "eu-west-1"]):
            emit(s, t + dt.timedelta(seconds=5 + k), "monitoring.amazonaws.com", "ListMetrics", region=region)
            emit(s, t + dt.timedelta(seconds=9 + k), "ec2.amazonaws.com", "DescribeInstances", region=region)
        emit(s, t + dt.timedelta(seconds=15), "tag.amazonaws.com", "GetResources", region="us-east-1")

    # A security scanner audits production from the dev account, with an external id.
    scanner = session(roles["scanner"], "prowler-nightly", "198.51.100.23", BOTO_UA, created=at(2, 0))
    skey = assume_role(scanner, at(2, 0, 31), roles["audit"], "prowler-nightly", external_id="acme-secops-audit")
    audit = session(roles["audit"], "prowler-nightly", "198.51.100.23", BOTO_UA, key=skey, created=at(2, 0, 31))
    for t in spread((2, 1), (2, 40), 30):
        src, name = rng.choice([("iam.amazonaws.com", "ListUsers"), ("iam.amazonaws.com", "ListPolicies"), ("iam.amazonaws.com", "ListRolePolicies"),
                                ("iam.amazonaws.com", "ListAttachedRolePolicies"), ("iam.amazonaws.com", "GetAccountPasswordPolicy"),
                                ("s3.amazonaws.com", "GetBucketPublicAccessBlock"), ("ec2.amazonaws.com", "DescribeSnapshotAttribute"),
                                ("cloudtrail.amazonaws.com", "DescribeTrails")])
        emit(audit, t, src, name, region=rng.choice(["us-east-1", "us-east-1", "eu-west-1"]), request={"roleName": "prod-ops-admin"} if "Role" in name else None)
    emit(audit, at(2, 41, 3), "iam.amazonaws.com", "GetAccountAuthorizationDetails")
    emit(audit, at(2, 41, 30), "iam.amazonaws.com", "GetCredentialReport", error=("ReportNotPresent", "Unknown"))

    tf = iam_user(DEV, KEY_TARGET_USER, "198.51.100.23", TF_UA)
    for t in spread((3, 0), (3, 20), 12):
        emit(tf, t, rng.choice(["ec2.amazonaws.com", "iam.amazonaws.com"]), rng.choice(["DescribeVpcs", "GetRole", "GetPolicy", "DescribeSubnets"]))

    # --- Production ------------------------------------------------------------------------------
    oncall = iam_user(PROD, "priya.raman", "203.0.113.104", CONSOLE_UA, console=True, mfa=True)
    console_login(oncall, at(7, 45, 0))
    for t in spread((7, 46), (18, 30), 35):
        src, name = rng.choice([("ec2.amazonaws.com", "DescribeInstances"), ("rds.amazonaws.com", "DescribeDBInstances"),
                                ("monitoring.amazonaws.com", "GetMetricData"), ("logs.amazonaws.com", "FilterLogEvents"),
                                ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth")])
        emit(oncall, t, src, name)
    emit(oncall, at(16, 2, 0), "ec2.amazonaws.com", "StopInstances", read_only=False,
         request={"instancesSet": {"items": [{"instanceId": "i-0f1c7e3a9b2d5c481"}]}, "force": False},
         response={"requestId": new_uuid(), "instancesSet": {"items": [{"instanceId": "i-0f1c7e3a9b2d5c481",
                   "currentState": {"code": 64, "name": "stopping"}, "previousState": {"code": 16, "name": "running"}}]}},
         resources=instance_resource(PROD, "us-east-1", "i-0f1c7e3a9b2d5c481"))
    deploy_role = Role(PROD, "prod-deployer")
    for t in spread((10, 0), (17, 0), 3):
        # Production deploys come through the pipeline account, not the insider's path.
        pipeline = Principal({"type": "AWSAccount", "principalId": rid("AROA", 17) + ":codepipeline", "accountId": DEV}, "codepipeline.amazonaws.com",
                             "codepipeline.amazonaws.com", None)
        key = assume_role(pipeline, t, deploy_role, "codepipeline-orders", external_id=None)
        s = session(deploy_role, "codepipeline-orders", "codepipeline.amazonaws.com", "codepipeline.amazonaws.com", key=key, created=t)
        emit(s, t + dt.timedelta(seconds=20), "ecs.amazonaws.com", "UpdateService", request={"cluster": "prod", "service": "orders-api"})
        emit(s, t + dt.timedelta(seconds=40), "ecs.amazonaws.com", "DescribeServices", request={"cluster": "prod", "services": ["orders-api"]})
    for t in spread((0, 30), (23, 30), 8):
        emit(service("rds.amazonaws.com"), t, "rds.amazonaws.com", "CreateDBSnapshot", recipient=PROD,
             request={"dBSnapshotIdentifier": f"rds:orders-prod-2026-11-03-{t.strftime('%H-%M')}", "dBInstanceIdentifier": "orders-prod"})
    prod_config = session(Role(PROD, "AWSServiceRoleForConfig", "/aws-service-role/config.amazonaws.com/"), "AWSConfig-Describe",
                          "config.amazonaws.com", "config.amazonaws.com", created=at(0, 1))
    for hour in range(0, 24, 4):
        for k, (src, name) in enumerate([("ec2.amazonaws.com", "DescribeInstances"), ("iam.amazonaws.com", "ListRoles"), ("s3.amazonaws.com", "ListBuckets")]):
            emit(prod_config, at(hour, 7, 3 * k), src, name)

    # --- Marketing --------------------------------------------------------------------------------
    web = Role(MARKETING, "site-publisher")
    for t in spread((9, 0), (17, 0), 4):
        s = session(web, f"GitHubActions-{rng.randrange(10**7, 10**8)}", "20.42.11.9", GITHUB_UA, created=t)
        emit(s, t, "cloudfront.amazonaws.com", "CreateInvalidation", region="us-east-1",
             request={"distributionId": "E2QWRUHAPOMQZL", "invalidationBatch": {"paths": {"quantity": 1, "items": ["/*"]}, "callerReference": new_uuid()}},
             response={"location": "https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation/I" + rid("", 12)})
    nora = iam_user(MARKETING, "nora.quinn", "192.0.2.40", CONSOLE_UA, console=True, mfa=True)
    console_login(nora, at(10, 10, 0))
    logs_bucket = "acme-marketing-access-logs"
    host = f"{logs_bucket}.s3.eu-west-1.amazonaws.com"
    res = [{"accountId": MARKETING, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{logs_bucket}"}]
    # A private bucket done right: no public access, log delivery grant, encryption on.
    for t, name, req in [
        (at(10, 14, 0), "CreateBucket", {"CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}, "bucketName": logs_bucket, "Host": host}),
        (at(10, 14, 3), "PutPublicAccessBlock", {"publicAccessBlock": "", "bucketName": logs_bucket, "Host": host,
                                                 "PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "RestrictPublicBuckets": True,
                                                                                    "BlockPublicPolicy": True, "BlockPublicAcls": True, "IgnorePublicAcls": True}}),
        (at(10, 14, 9), "PutBucketAcl", {"bucketName": logs_bucket, "Host": host, "acl": "", "x-amz-grant-write": ["uri=http://acs.amazonaws.com/groups/s3/LogDelivery"],
                                         "x-amz-grant-read-acp": ["uri=http://acs.amazonaws.com/groups/s3/LogDelivery"]}),
        (at(10, 14, 20), "PutBucketEncryption", {"bucketName": logs_bucket, "Host": host, "encryption": "",
                                                 "ServerSideEncryptionConfiguration": {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}}}),
        (at(10, 20, 9), "GetBucketPolicy", {"bucketName": logs_bucket, "Host": host, "policy": ""}),
    ]:
        emit(nora, t, "s3.amazonaws.com", name, region="eu-west-1", request=req, resources=res, extra={"additionalEventData": s3_extra()},
             error=("NoSuchBucketPolicy", "The bucket policy does not exist") if name == "GetBucketPolicy" else None)
    for t in spread((10, 30), (16, 0), 6):
        emit(nora, t, "s3.amazonaws.com", "ListBuckets", region="eu-west-1", request={"Host": "s3.eu-west-1.amazonaws.com"}, extra={"additionalEventData": s3_extra()})


ROLES = {}


def make_roles():
    ROLES.update({
        "dev": Role(DEV, DEV_ROLE),
        "prod": Role(PROD, PROD_ROLE),
        "github": Role(DEV, "github-actions-deploy"),
        "lambda": Role(DEV, "orders-api-lambda"),
        "task": Role(DEV, "orders-worker-task"),
        "config": Role(DEV, "AWSServiceRoleForConfig", "/aws-service-role/config.amazonaws.com/"),
        "datadog": Role(DEV, "DatadogIntegrationRole"),
        "scanner": Role(DEV, "secops-scanner"),
        "audit": Role(PROD, "OrganizationAuditRole"),
    })


# ---------------------------------------------------------------------------------------------
# Writing


def file_name(account, region, t):
    return f"{account}_CloudTrail_{region}_{t.strftime('%Y%m%dT%H%MZ')}_{rid('', 16, ALNUM)}.json.gz"


def write(out):
    if out.exists():
        shutil.rmtree(out)
    records.sort(key=lambda r: r["eventTime"])
    # Marketing's trail is an export as JSON lines; the other accounts' trails are S3 deliveries.
    lines = [r for r in records if r["recipientAccountId"] == MARKETING]
    groups = {}
    for r in records:
        if r["recipientAccountId"] == MARKETING:
            continue
        t = dt.datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        # CloudTrail delivers about every five minutes; this trail was set to batch per hour-ish
        # window, which keeps the example small while preserving the layout.
        window = t.replace(minute=0, second=0) + dt.timedelta(hours=1)
        groups.setdefault((r["recipientAccountId"], r["awsRegion"], window), []).append(r)
    for (account, region, window), batch in sorted(groups.items()):
        folder = out / "AWSLogs" / account / "CloudTrail" / region / "2026" / "11" / "03"
        folder.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"Records": batch}, separators=(",", ":")).encode()
        delivered = window + dt.timedelta(minutes=rng.randrange(3, 12))
        (folder / file_name(account, region, delivered)).write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    extra = out / "extra"
    extra.mkdir(parents=True)
    with open(extra / f"marketing-{MARKETING}-2026-11-03.jsonl", "w") as f:
        for r in lines:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    return len(records), len(groups)


README = """# Example data: one day at Acme (2026-11-03, UTC)

Synthetic AWS CloudTrail written by `scripts/make-example-data.py` (deterministic: run it again
and the files come out byte-identical). Nothing here is real: account ids, keys, addresses
(RFC 5737 documentation ranges) and people are invented.

## Layout

- `AWSLogs/<account>/CloudTrail/<region>/2026/11/03/*.json.gz`: CloudTrail files as delivered
  to S3, each `{{"Records": [...]}}`, one file per account, region and hour.
- `extra/marketing-{marketing}-2026-11-03.jsonl`: the marketing account's trail as JSON lines
  (one record per line), the other input format.

{total} records in all: {files} `.json.gz` files plus the JSON-lines file, 00:00–24:00 UTC.

## Accounts

| account        | what it is |
|----------------|------------|
| `{dev}` | Acme dev / shared tools (workstations, bastion, CI) |
| `{prod}` | Acme production |
| `{marketing}` | Acme marketing (website assets) |
| `{foreign}` | not Acme: receives the shared snapshot |
| `{ext}` | other corporate accounts, not Acme's: the failed assumes |
| `{datadog}` | monitoring vendor, trusted with an external id |

## Story 1: the insider (dev → prod, 09:12–10:25)

1. 09:12 IAM user **`{insider}`** opens an SSM session (`ssm:StartSession`) on the analytics
   workstation **`{ws}`**.
2. 09:14–09:24 from the workstation's instance role (`{ws_role}`, session name = the instance
   id) reconnaissance: `GetCallerIdentity`, `ListUsers`, `ListRoles`, `ListGroups`, `ListBuckets`,
   `DescribeInstances`/`DescribeSecurityGroups`/`DescribeSnapshots` in us-east-1, us-east-2,
   us-west-1 and us-west-2, `GetAccountAuthorizationDetails`, a denied `ListRolePolicies`.
3. 09:31 `ec2-instance-connect:SendSSHPublicKey` to the bastion **`{bastion}`**, from the
   workstation's role.
4. 09:34–09:38 from the bastion's role (`{bastion_role}`): `ListRolePolicies`,
   `ListAttachedRolePolicies`, `GetRolePolicy`, `GetRole` on `{dev_role}`, `ListPolicyVersions`.
5. 09:44 `sts:AssumeRole` of **`{dev_role}`** — no `serialNumber` (MFA), no `externalId` —
   session `{dev_session}`. Every later hop's events are signed with the `ASIA…` key this call
   returned (`userIdentity.accessKeyId` = the previous `responseElements.credentials.accessKeyId`).
6. 09:51 `iam:SetDefaultPolicyVersion` rolls `{policy}` back to its permissive `v1`.
7. 09:55 `iam:CreateAccessKey` for the service user `{key_user}`.
8. 10:05 `ec2:ModifySnapshotAttribute` shares `{snapshot}` with `{foreign}` (createVolumePermission add).
9. 10:11 `sts:AssumeRole` of **`{prod_role}`** in production `{prod}` (cross-account, no MFA),
   session `{prod_session}`; `GetCallerIdentity`, `ListRoles`, a denied `DescribeOrganization`.
10. 10:16–10:18 three `sts:AssumeRole` calls into `{ext}` fail with `AccessDenied`.
11. 10:24 the SSM session is terminated.

Expected: `actor-trail` reports `{insider}` once with the whole trail; `iam-risk-signals`
reports steps 5, 6, 7, 8, 9 and 10 on their own.

## Story 2: a public bucket loses its encryption (marketing, 12:58–15:41)

IAM user **`{exposer}`** signs in to the console without MFA, creates **`{bucket}`** with
`x-amz-acl: public-read` (object ownership `ObjectWriter`), sets KMS encryption, deletes the
bucket's public access block, grants `AllUsers` `READ` with `PutBucketAcl`, and at 15:40 deletes
the bucket's encryption configuration (`DeleteBucketEncryption`).

Expected: `s3-exposure` reports the bucket made public (medium) and then one high finding,
"public bucket lost its encryption", carrying both the exposure and the encryption event ids.

## Background (benign)

Over 20 other principals through the day, chosen so that detectors must discriminate:
console users with MFA (alice.nguyen, carol.smith, grace.park — one failed login first,
priya.raman in production, nora.quinn in marketing); bob.okafor rotating his own access key;
carol.smith creating a policy version that is *not* made default; dan.kowalski's denied
`ListUsers` and `GetBucketPolicy`; erin.walsh's Athena/Glue work; frank.li assuming
`{dev_role}` **with MFA** and updating a CloudFormation stack; henry.adams opening an SSM
session on a build box; ivy.chen using EC2 Instance Connect on the same bastion; the
`{key_user}` Terraform user's reads; GitHub Actions (OIDC) deploying to ECR/ECS; Lambda and ECS
task roles assumed by their services; AWS Backup and RDS snapshots; AWS Config describing
every few hours in three regions; a monitoring vendor assuming its role with an external id
and polling three regions; a Prowler audit assuming `OrganizationAuditRole` in production
with an external id; CodePipeline deploying to production; a marketing logs bucket created
private, encrypted, with a LogDelivery grant; CloudFront invalidations.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "examples" / "data")
    args = parser.parse_args()
    make_roles()
    story_insider()
    story_bucket()
    background()
    total, files = write(args.out)
    (args.out / "README.md").write_text(README.format(
        total=total, files=files, dev=DEV, prod=PROD, marketing=MARKETING, foreign=FOREIGN_SNAPSHOT_TARGET,
        ext="`, `".join(EXTERNAL_CORPORATE), datadog=DATADOG, insider=INSIDER, ws=WORKSTATION, ws_role=WORKSTATION_ROLE,
        bastion=BASTION, bastion_role=BASTION_ROLE, dev_role=DEV_ROLE, dev_session=DEV_SESSION, policy=ESCALATED_POLICY,
        key_user=KEY_TARGET_USER, snapshot=SHARED_SNAPSHOT, prod_role=PROD_ROLE, prod_session=PROD_SESSION,
        exposer=EXPOSER, bucket=EXPOSED_BUCKET))
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {total} records in {files} CloudTrail files plus one JSON-lines file to {args.out} ({size // 1024} KiB)")


if __name__ == "__main__":
    main()
