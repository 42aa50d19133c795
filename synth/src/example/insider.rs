//! Story 1, the insider (dev → prod, 09:12–10:25): an SSM session on a workstation,
//! reconnaissance from its instance role, EC2 Instance Connect to the bastion, an MFA-less
//! assume of the dev admin role, a policy rolled back to a permissive version, a key for
//! another user, a snapshot shared outside, a hop into production and failed assumes into
//! other companies' accounts.

use serde_json::json;

use super::day::{at, cloudtrail_date, Call, Day, ALNUM, LOWER_HEX};
use super::principals::{
    assume_role, cli, denied, iam_user, instance_resource, role_resource, session, Assume, Role, Roles,
    SessionOptions, SSM_AGENT_UA,
};
use super::*;

pub fn story(day: &mut Day, roles: &Roles) {
    let office_ip = "203.0.113.48";
    // The dev VPC's NAT gateway: calls from instances leave through it.
    let nat_ip = "198.51.100.23";
    let insider = iam_user(day, DEV, INSIDER, office_ip, &cli("ssm.start-session"), None);
    let workstation_role = Role::new(day, DEV, WORKSTATION_ROLE);
    let bastion_role = Role::new(day, DEV, BASTION_ROLE);

    // The workstation's own agent, before and after the insider arrives.
    let instance_session =
        SessionOptions { created: Some(at(6, 12, 0)), ec2: true, ..SessionOptions::default() };
    let ws = session(day, &workstation_role, WORKSTATION, nat_ip, SSM_AGENT_UA, instance_session);
    for (hh, mm) in [(7, 3), (8, 11), (9, 7), (10, 31), (12, 2), (15, 40)] {
        let ss = day.below(60);
        Call::new(&ws, at(hh, mm, ss), "ssm.amazonaws.com", "UpdateInstanceInformation")
            .request(json!({
                "instanceId": WORKSTATION, "agentVersion": "3.3.1142.0", "agentStatus": "Active",
                "platformType": "Linux", "platformName": "Ubuntu", "platformVersion": "24.04",
                "iPAddress": "10.20.4.117", "computerName": "ip-10-20-4-117.ec2.internal",
                "agentName": "amazon-ssm-agent", "availabilityZone": "us-east-1b",
                "availabilityZoneId": "use1-az4", "sSMConnectionChannel": "ssmmessages"
            }))
            .read_only(false)
            .emit(day);
    }

    // 09:12 the insider opens a shell on the analytics workstation.
    let session_id = format!("{INSIDER}-{}", day.rid("", 17, LOWER_HEX));
    Call::new(&insider, at(9, 12, 8), "ssm.amazonaws.com", "StartSession")
        .request(json!({ "target": WORKSTATION }))
        .response(json!({
            "sessionId": session_id, "tokenValue": "Value hidden due to security reasons.",
            "streamUrl": format!("wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe&cell-number=AAEAAfKQ")
        }))
        .resources(instance_resource(DEV, "us-east-1", WORKSTATION))
        .emit(day);

    // 09:14 reconnaissance with the workstation's instance role, as seen from the shell: the
    // shell runs the AWS CLI with the same instance-role credentials the agent uses.
    let recon = &ws;
    Call::new(recon, at(9, 14, 2), "sts.amazonaws.com", "GetCallerIdentity")
        .ua(cli("sts.get-caller-identity"))
        .emit(day);
    Call::new(recon, at(9, 14, 40), "iam.amazonaws.com", "ListUsers").ua(cli("iam.list-users")).emit(day);
    Call::new(recon, at(9, 15, 3), "iam.amazonaws.com", "ListRoles").ua(cli("iam.list-roles")).emit(day);
    Call::new(recon, at(9, 15, 31), "iam.amazonaws.com", "ListGroups").ua(cli("iam.list-groups")).emit(day);
    let mut list_buckets_data = day.s3_extra();
    list_buckets_data["bytesTransferredOut"] = 6212.into();
    Call::new(recon, at(9, 16, 9), "s3.amazonaws.com", "ListBuckets")
        .ua(cli("s3api.list-buckets"))
        .request(json!({ "Host": "s3.amazonaws.com" }))
        .extra("additionalEventData", list_buckets_data)
        .emit(day);
    // Only us-* regions: eu-west-1 sorts before us-east-1 in S3 key order, and a reader
    // replaying files in key order must see the session before its calls.
    for (i, region) in ["us-east-1", "us-east-2", "us-west-1", "us-west-2"].into_iter().enumerate() {
        let base = at(9, 17 + i as i64, 5);
        Call::new(recon, base, "ec2.amazonaws.com", "DescribeInstances")
            .region(region)
            .ua(cli("ec2.describe-instances"))
            .request(json!({ "instancesSet": {}, "filterSet": {} }))
            .emit(day);
        Call::new(recon, base + 14, "ec2.amazonaws.com", "DescribeSecurityGroups")
            .region(region)
            .ua(cli("ec2.describe-security-groups"))
            .request(json!({ "securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {} }))
            .emit(day);
        Call::new(recon, base + 29, "ec2.amazonaws.com", "DescribeSnapshots")
            .region(region)
            .ua(cli("ec2.describe-snapshots"))
            .request(json!({ "snapshotSet": {}, "ownersSet": { "items": [{ "owner": "self" }] },
                             "sharedUsersSet": {}, "filterSet": {} }))
            .emit(day);
    }
    Call::new(recon, at(9, 23, 44), "iam.amazonaws.com", "GetAccountAuthorizationDetails")
        .ua(cli("iam.get-account-authorization-details"))
        .emit(day);
    Call::new(recon, at(9, 24, 20), "iam.amazonaws.com", "ListRolePolicies")
        .ua(cli("iam.list-role-policies"))
        .request(json!({ "roleName": BASTION_ROLE }))
        .error("AccessDenied", denied(recon, "iam:ListRolePolicies", &bastion_role.arn))
        .emit(day);

    // 09:31 the insider pushes a key to the bastion with EC2 Instance Connect, from the workstation.
    let public_key =
        format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} mhollis@analytics", day.rid("", 43, ALNUM));
    let request_id = day.uuid();
    Call::new(recon, at(9, 31, 12), "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey")
        .ua(cli("ec2-instance-connect.send-ssh-public-key"))
        .request(json!({ "instanceId": BASTION, "instanceOSUser": "ec2-user", "sSHPublicKey": public_key }))
        .response(json!({ "requestId": request_id, "success": true }))
        .resources(instance_resource(DEV, "us-east-1", BASTION))
        .read_only(false)
        .emit(day);

    // 09:34 from the bastion's role: what may the dev admin role do, and who may assume it?
    let bastion_session =
        SessionOptions { created: Some(at(5, 48, 0)), ec2: true, ..SessionOptions::default() };
    let bastion = session(
        day,
        &bastion_role,
        BASTION,
        "198.51.100.61",
        &cli("iam.list-role-policies"),
        bastion_session,
    );
    Call::new(&bastion, at(9, 34, 2), "sts.amazonaws.com", "GetCallerIdentity")
        .ua(cli("sts.get-caller-identity"))
        .emit(day);
    let policy_arn = format!("arn:aws:iam::{DEV}:policy/{ESCALATED_POLICY}");
    for (t, name, command, request) in [
        (at(9, 34, 51), "ListRolePolicies", "iam.list-role-policies", json!({ "roleName": DEV_ROLE })),
        (
            at(9, 35, 20),
            "ListAttachedRolePolicies",
            "iam.list-attached-role-policies",
            json!({ "roleName": DEV_ROLE }),
        ),
        (
            at(9, 36, 2),
            "GetRolePolicy",
            "iam.get-role-policy",
            json!({ "roleName": DEV_ROLE, "policyName": "dev-platform-inline" }),
        ),
        (at(9, 37, 15), "GetRole", "iam.get-role", json!({ "roleName": DEV_ROLE })),
        (at(9, 38, 40), "ListPolicyVersions", "iam.list-policy-versions", json!({ "policyArn": policy_arn })),
    ] {
        Call::new(&bastion, t, "iam.amazonaws.com", name).ua(cli(command)).request(request).emit(day);
    }

    // 09:44 the dev admin role trusts the bastion role: no MFA, no external id.
    let assume = || Assume { ua: Some(cli("sts.assume-role")), ..Assume::default() };
    let dev_key = assume_role(day, &bastion, at(9, 44, 3), &roles.dev, DEV_SESSION, assume());
    let hop = |key: String, created| SessionOptions {
        key: Some(key),
        created: Some(created),
        ..SessionOptions::default()
    };
    let dev = session(
        day,
        &roles.dev,
        DEV_SESSION,
        "198.51.100.61",
        &cli("sts.get-caller-identity"),
        hop(dev_key, at(9, 44, 3)),
    );
    Call::new(&dev, at(9, 45, 1), "sts.amazonaws.com", "GetCallerIdentity")
        .ua(cli("sts.get-caller-identity"))
        .emit(day);
    Call::new(&dev, at(9, 47, 30), "iam.amazonaws.com", "GetPolicyVersion")
        .ua(cli("iam.get-policy-version"))
        .request(json!({ "policyArn": policy_arn, "versionId": "v1" }))
        .emit(day);
    // 09:51 roll the CI policy back to v1, which allowed iam:* and ec2:* on everything.
    Call::new(&dev, at(9, 51, 9), "iam.amazonaws.com", "SetDefaultPolicyVersion")
        .ua(cli("iam.set-default-policy-version"))
        .request(json!({ "policyArn": policy_arn, "versionId": "v1" }))
        .read_only(false)
        .emit(day);
    // 09:55 persistence: a long-term key for the Terraform service user.
    let key_id = day.key("AKIA");
    Call::new(&dev, at(9, 55, 42), "iam.amazonaws.com", "CreateAccessKey")
        .ua(cli("iam.create-access-key"))
        .request(json!({ "userName": KEY_TARGET_USER }))
        .response(
            json!({ "accessKey": { "userName": KEY_TARGET_USER, "accessKeyId": key_id, "status": "Active",
                                         "createDate": cloudtrail_date(at(9, 55, 42)) } }),
        )
        .read_only(false)
        .emit(day);
    // 10:02 find the customer database volume's snapshot and share it outside the company.
    Call::new(&dev, at(10, 2, 17), "ec2.amazonaws.com", "DescribeSnapshots")
        .ua(cli("ec2.describe-snapshots"))
        .request(json!({
            "snapshotSet": {}, "ownersSet": { "items": [{ "owner": "self" }] }, "sharedUsersSet": {},
            "filterSet": { "items": [{ "name": "tag:Name", "valueSet": { "items": [{ "value": "customers-db*" }] } }] }
        }))
        .emit(day);
    let request_id = day.uuid();
    Call::new(&dev, at(10, 5, 33), "ec2.amazonaws.com", "ModifySnapshotAttribute")
        .ua(cli("ec2.modify-snapshot-attribute"))
        .request(json!({
            "snapshotId": SHARED_SNAPSHOT,
            "createVolumePermission": { "add": { "items": [{ "userId": FOREIGN_SNAPSHOT_TARGET }] } },
            "attributeType": "CREATE_VOLUME_PERMISSION"
        }))
        .response(json!({ "requestId": request_id, "_return": true }))
        .read_only(false)
        .emit(day);
    // 10:11 on to production.
    let prod_key = assume_role(day, &dev, at(10, 11, 26), &roles.prod, PROD_SESSION, assume());
    let prod = session(
        day,
        &roles.prod,
        PROD_SESSION,
        "198.51.100.61",
        &cli("sts.get-caller-identity"),
        hop(prod_key, at(10, 11, 26)),
    );
    Call::new(&prod, at(10, 12, 3), "sts.amazonaws.com", "GetCallerIdentity")
        .ua(cli("sts.get-caller-identity"))
        .emit(day);
    Call::new(&prod, at(10, 13, 19), "iam.amazonaws.com", "ListRoles").ua(cli("iam.list-roles")).emit(day);
    Call::new(&prod, at(10, 14, 2), "organizations.amazonaws.com", "DescribeOrganization")
        .ua(cli("organizations.describe-organization"))
        .error("AccessDeniedException", "You don't have permissions to access this resource.")
        .emit(day);
    // 10:16 try the roles other corporate accounts commonly expose.
    let targets = ["OrganizationAccountAccessRole", "partner-integration", "Admin"];
    for (i, (account, role_name)) in EXTERNAL_CORPORATE.into_iter().zip(targets).enumerate() {
        let i = i as i64;
        let arn = format!("arn:aws:iam::{account}:role/{role_name}");
        Call::new(&prod, at(10, 16 + i, 11 + 7 * i), "sts.amazonaws.com", "AssumeRole")
            .ua(cli("sts.assume-role"))
            .request(json!({ "roleArn": arn, "roleSessionName": format!("mh-{}", i + 1) }))
            .error(
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                    prod.arn()
                ),
            )
            .read_only(true)
            .resources(role_resource(&arn, account))
            .emit(day);
    }
    Call::new(&insider, at(10, 24, 50), "ssm.amazonaws.com", "TerminateSession")
        .ua(cli("ssm.terminate-session"))
        .request(json!({ "sessionId": session_id }))
        .response(json!({ "sessionId": session_id }))
        .emit(day);
}
