//! The benign background: over 20 other principals through the day, chosen so that detectors
//! must discriminate (MFA sign-ins, a user rotating their own key, a policy version not made
//! default, denied reads, the dev admin role assumed with MFA, CI through OIDC, services,
//! AWS Config and a vendor describing every region, an audit with an external id, a bucket
//! made private the right way).

use serde_json::{json, Value};

use super::day::{at, cloudtrail_date, Call, Day, ALNUM, LOWER_HEX};
use super::principals::*;
use super::*;

pub fn activity(day: &mut Day, roles: &Roles) {
    dev_people(day, roles);
    dev_machines(day, roles);
    production(day);
    marketing(day);
}

/// A role session created at `created`, signing with `key` when given.
fn opened(key: Option<String>, created: i64) -> SessionOptions {
    SessionOptions { key, created: Some(created), ..SessionOptions::default() }
}

fn dev_people(day: &mut Day, roles: &Roles) {
    let alice = iam_user(day, DEV, "alice.nguyen", "203.0.113.12", CONSOLE_UA, Some(true));
    console_login(day, &alice, at(8, 2, 11), true, false);
    for t in day.spread((8, 3), (17, 30), 40) {
        let (name, request) = day.pick(&[
            ("DescribeInstances", json!({ "instancesSet": {}, "filterSet": {} })),
            ("DescribeVolumes", json!({ "volumeSet": {}, "filterSet": {} })),
            ("DescribeSecurityGroups", json!({ "securityGroupSet": {}, "filterSet": {} })),
            ("DescribeAlarms", Value::Null),
            ("GetMetricData", Value::Null),
        ]);
        let source = if matches!(name, "DescribeAlarms" | "GetMetricData") {
            "monitoring.amazonaws.com"
        } else {
            "ec2.amazonaws.com"
        };
        Call::new(&alice, t, source, name).request(request).emit(day);
    }
    let rebooted = "i-0e5b2a9c81d4f7360";
    let request_id = day.uuid();
    Call::new(&alice, at(11, 20, 4), "ec2.amazonaws.com", "RebootInstances")
        .request(json!({ "instancesSet": { "items": [{ "instanceId": rebooted }] } }))
        .response(json!({ "requestId": request_id, "_return": true }))
        .resources(instance_resource(DEV, "us-east-1", rebooted))
        .emit(day);

    let bob = iam_user(day, DEV, "bob.okafor", "203.0.113.19", &cli("s3.ls"), None);
    for t in day.spread((8, 30), (18, 0), 25) {
        let name = day.pick(&["ListBuckets", "GetBucketLocation", "GetBucketVersioning"]);
        let data = day.s3_extra();
        Call::new(&bob, t, "s3.amazonaws.com", name)
            .request(json!({ "Host": "s3.amazonaws.com", "bucketName": "acme-dev-artifacts" }))
            .extra("additionalEventData", data)
            .emit(day);
    }
    // Bob rotates his own key: CreateAccessKey for himself is routine.
    let new_key = day.key("AKIA");
    Call::new(&bob, at(14, 3, 5), "iam.amazonaws.com", "CreateAccessKey")
        .ua(cli("iam.create-access-key"))
        .request(json!({ "userName": "bob.okafor" }))
        .response(
            json!({ "accessKey": { "userName": "bob.okafor", "accessKeyId": new_key, "status": "Active",
                                         "createDate": cloudtrail_date(at(14, 3, 5)) } }),
        )
        .emit(day);
    Call::new(&bob, at(14, 9, 40), "iam.amazonaws.com", "UpdateAccessKey")
        .ua(cli("iam.update-access-key"))
        .request(json!({ "userName": "bob.okafor", "accessKeyId": bob.identity["accessKeyId"], "status": "Inactive" }))
        .emit(day);

    let carol = iam_user(day, DEV, "carol.smith", "203.0.113.31", CONSOLE_UA, Some(true));
    console_login(day, &carol, at(9, 40, 0), true, false);
    Call::new(&carol, at(9, 58, 12), "iam.amazonaws.com", "ListPolicies")
        .request(json!({ "scope": "Local", "onlyAttached": false }))
        .emit(day);
    let readers = format!("arn:aws:iam::{DEV}:policy/data-lake-readers");
    let document = json!({ "Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::acme-data-lake", "arn:aws:s3:::acme-data-lake/*"] }] });
    Call::new(&carol, at(10, 1, 40), "iam.amazonaws.com", "CreatePolicyVersion")
        .request(
            json!({ "policyArn": readers, "policyDocument": document.to_string(), "setAsDefault": false }),
        )
        .response(json!({ "policyVersion": { "versionId": "v4", "isDefaultVersion": false,
                                             "createDate": cloudtrail_date(at(10, 1, 40)) } }))
        .emit(day);
    Call::new(&carol, at(10, 3, 2), "iam.amazonaws.com", "AttachRolePolicy")
        .request(json!({ "roleName": "analytics-batch", "policyArn": readers }))
        .emit(day);
    Call::new(&carol, at(15, 12, 0), "iam.amazonaws.com", "GetAccountAuthorizationDetails")
        .request(json!({ "filter": ["Role"] }))
        .emit(day);

    let dan = iam_user(day, DEV, "dan.kowalski", "203.0.113.40", &cli("iam.list-users"), None);
    Call::new(&dan, at(10, 44, 3), "iam.amazonaws.com", "ListUsers")
        .error("AccessDenied", denied(&dan, "iam:ListUsers", &format!("arn:aws:iam::{DEV}:user/")))
        .emit(day);
    let data = day.s3_extra();
    Call::new(&dan, at(10, 46, 20), "s3.amazonaws.com", "GetBucketPolicy")
        .request(json!({ "bucketName": "acme-finance-reports", "Host": "acme-finance-reports.s3.amazonaws.com", "policy": "" }))
        .error("AccessDenied", "Access Denied")
        .extra("additionalEventData", data)
        .emit(day);
    for t in day.spread((10, 50), (16, 0), 10) {
        Call::new(&dan, t, "lambda.amazonaws.com", "GetFunction20150331v2")
            .request(json!({ "functionName": "orders-api" }))
            .emit(day);
    }

    let erin = iam_user(day, DEV, "erin.walsh", "203.0.113.55", BOTO_UA, None);
    for t in day.spread((9, 0), (17, 0), 30) {
        let (source, name) = day.pick(&[
            ("athena.amazonaws.com", "StartQueryExecution"),
            ("athena.amazonaws.com", "GetQueryExecution"),
            ("glue.amazonaws.com", "GetTables"),
            ("glue.amazonaws.com", "GetDatabases"),
        ]);
        let request = if source.starts_with("athena") {
            json!({ "workGroup": "analysts" })
        } else {
            json!({ "databaseName": "sales" })
        };
        Call::new(&erin, t, source, name).request(request).read_only(!name.starts_with("Start")).emit(day);
    }

    // Frank assumes the dev admin role the right way: with MFA.
    let frank = iam_user(day, DEV, "frank.li", "203.0.113.63", &cli("sts.assume-role"), None);
    let with_mfa =
        Assume { mfa_serial: Some(format!("arn:aws:iam::{DEV}:mfa/frank.li")), ..Assume::default() };
    let key = assume_role(day, &frank, at(11, 2, 44), &roles.dev, "frank.li", with_mfa);
    let options = SessionOptions { mfa: true, ..opened(Some(key), at(11, 2, 44)) };
    let frank_admin = session(day, &roles.dev, "frank.li", &frank.ip, &cli("cloudformation.deploy"), options);
    for t in day.spread((11, 3), (11, 50), 12) {
        let name = day.pick(&["DescribeStacks", "DescribeStackEvents", "GetTemplate"]);
        Call::new(&frank_admin, t, "cloudformation.amazonaws.com", name)
            .request(json!({ "stackName": "platform-network" }))
            .emit(day);
    }
    let stack = format!("arn:aws:cloudformation:us-east-1:{DEV}:stack/platform-network/{}", day.uuid());
    Call::new(&frank_admin, at(11, 52, 0), "cloudformation.amazonaws.com", "UpdateStack")
        .request(json!({ "stackName": "platform-network", "capabilities": ["CAPABILITY_NAMED_IAM"] }))
        .response(json!({ "stackId": stack }))
        .emit(day);

    let grace = iam_user(day, DEV, "grace.park", "203.0.113.71", CONSOLE_UA, Some(true));
    console_login(day, &grace, at(8, 31, 2), false, true);
    console_login(day, &grace, at(8, 31, 40), true, false);
    for t in day.spread((8, 33), (12, 0), 15) {
        let name = day.pick(&["DescribeDBInstances", "DescribeDBClusters", "DescribeDBSnapshots"]);
        Call::new(&grace, t, "rds.amazonaws.com", name).emit(day);
    }

    // Henry opens an SSM session on a build box of his own: a session alone is not a story.
    let henry = iam_user(day, DEV, "henry.adams", "203.0.113.88", &cli("ssm.start-session"), None);
    let build_box = "i-0d93c6e1f2a7b4508";
    let session_id = format!("henry.adams-{}", day.rid("", 17, LOWER_HEX));
    Call::new(&henry, at(13, 20, 5), "ssm.amazonaws.com", "StartSession")
        .request(json!({ "target": build_box }))
        .response(json!({
            "sessionId": session_id, "tokenValue": "Value hidden due to security reasons.",
            "streamUrl": format!("wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe&cell-number=AAEAAfKQ")
        }))
        .resources(instance_resource(DEV, "us-east-1", build_box))
        .emit(day);
    let build_role = Role::new(day, DEV, "build-runner-role");
    let instance = SessionOptions { ec2: true, ..opened(None, at(4, 0, 0)) };
    let build =
        session(day, &build_role, build_box, "198.51.100.23", &cli("ecr.get-login-password"), instance);
    Call::new(&build, at(13, 22, 0), "ecr.amazonaws.com", "GetAuthorizationToken")
        .request(json!({ "registryIds": [DEV] }))
        .emit(day);
    Call::new(&build, at(13, 25, 0), "ecr.amazonaws.com", "DescribeImages")
        .request(json!({ "repositoryName": "orders-api" }))
        .emit(day);
    Call::new(&henry, at(13, 41, 0), "ssm.amazonaws.com", "TerminateSession")
        .request(json!({ "sessionId": session_id }))
        .response(json!({ "sessionId": session_id }))
        .emit(day);

    // Ivy reaches the bastion with EC2 Instance Connect, as on-call engineers do.
    let ivy = iam_user(
        day,
        DEV,
        "ivy.chen",
        "203.0.113.90",
        &cli("ec2-instance-connect.send-ssh-public-key"),
        None,
    );
    let public_key = format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} ivy@laptop", day.rid("", 43, ALNUM));
    let request_id = day.uuid();
    Call::new(&ivy, at(16, 5, 30), "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey")
        .request(json!({ "instanceId": BASTION, "instanceOSUser": "ec2-user", "sSHPublicKey": public_key }))
        .response(json!({ "requestId": request_id, "success": true }))
        .resources(instance_resource(DEV, "us-east-1", BASTION))
        .read_only(false)
        .emit(day);
}

fn dev_machines(day: &mut Day, roles: &Roles) {
    // GitHub Actions deploys through OIDC.
    let repo = "repo:acme/orders-api:ref:refs/heads/main";
    let provider = format!("arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com");
    let github = Principal::new(
        json!({ "type": "WebIdentityUser", "principalId": format!("{provider}:sts.amazonaws.com:{repo}"),
                "userName": repo, "identityProvider": provider }),
        "20.42.11.9",
        GITHUB_UA,
        Some(DEV),
    );
    let role = &roles.github;
    for (run, t) in day.spread((9, 0), (17, 30), 6).into_iter().enumerate() {
        let name = format!("GitHubActions-{}", 11_480_231 + run * 17);
        let key = day.key("ASIA");
        let token = day.session_token();
        Call::new(&github, t, "sts.amazonaws.com", "AssumeRoleWithWebIdentity")
            .read_only(true)
            .request(json!({ "roleArn": role.arn, "roleSessionName": name, "durationSeconds": 3600 }))
            .response(json!({
                "credentials": { "accessKeyId": key, "sessionToken": token, "expiration": cloudtrail_date(t + 3600) },
                "subjectFromWebIdentityToken": repo,
                "assumedRoleUser": { "assumedRoleId": format!("{}:{name}", role.role_id), "arn": role.session_arn(&name) },
                "provider": provider, "audience": "sts.amazonaws.com"
            }))
            .resources(role.resource())
            .emit(day);
        let deployer = session(day, role, &name, "20.42.11.9", GITHUB_UA, opened(Some(key), t));
        let tag = format!("sha-{}", day.rid("", 7, LOWER_HEX));
        let mut step = t;
        for (name, source, request) in [
            ("GetAuthorizationToken", "ecr.amazonaws.com", json!({ "registryIds": [DEV] })),
            (
                "InitiateLayerUpload",
                "ecr.amazonaws.com",
                json!({ "repositoryName": "orders-api", "registryId": DEV }),
            ),
            (
                "PutImage",
                "ecr.amazonaws.com",
                json!({ "repositoryName": "orders-api", "imageTag": tag, "registryId": DEV }),
            ),
            (
                "RegisterTaskDefinition",
                "ecs.amazonaws.com",
                json!({ "family": "orders-api", "networkMode": "awsvpc" }),
            ),
            (
                "UpdateService",
                "ecs.amazonaws.com",
                json!({ "cluster": "dev", "service": "orders-api", "forceNewDeployment": false }),
            ),
            (
                "DescribeServices",
                "ecs.amazonaws.com",
                json!({ "cluster": "dev", "services": ["orders-api"] }),
            ),
        ] {
            step += 20 + day.below(70);
            Call::new(&deployer, step, source, name).request(request).emit(day);
        }
    }

    // Lambda and ECS assume their execution roles; AWS services act on their own.
    for (by, role, name, n) in [
        ("lambda.amazonaws.com", &roles.lambda, "orders-api-handler", 5),
        ("ecs-tasks.amazonaws.com", &roles.task, "orders-worker-7f3e", 4),
    ] {
        for t in day.spread((6, 0), (20, 0), n) {
            let key = assume_role(day, &service(by), t, role, name, Assume::default());
            let task = session(day, role, name, "198.51.100.23", BOTO_UA, opened(Some(key), t));
            let kms_key = format!("arn:aws:kms:us-east-1:{DEV}:key/{}", day.uuid());
            Call::new(&task, t + 2, "kms.amazonaws.com", "Decrypt")
                .read_only(true)
                .request(json!({ "encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": format!("arn:aws:kms:us-east-1:{DEV}:alias/orders") }))
                .resources(json!([{ "accountId": DEV, "type": "AWS::KMS::Key", "ARN": kms_key }]))
                .emit(day);
            Call::new(&task, t + 3, "secretsmanager.amazonaws.com", "GetSecretValue")
                .read_only(true)
                .request(json!({ "secretId": format!("arn:aws:secretsmanager:us-east-1:{DEV}:secret:orders/db-AbCdEf") }))
                .emit(day);
        }
    }
    let handler = session(
        day,
        &roles.lambda,
        "orders-api-handler",
        "198.51.100.23",
        BOTO_UA,
        opened(None, at(12, 0, 0)),
    );
    let secret = format!("arn:aws:secretsmanager:us-east-1:{DEV}:secret:payments/api-key-QxRtYu");
    Call::new(&handler, at(12, 17, 40), "secretsmanager.amazonaws.com", "GetSecretValue")
        .request(json!({ "secretId": secret }))
        .error(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret}",
                handler.arn()
            ),
        )
        .emit(day);

    for region in ["us-east-1", "eu-west-1"] {
        for t in day.spread((0, 30), (23, 30), 6) {
            let snapshot = format!("snap-{}", day.rid("", 17, LOWER_HEX));
            let volume = format!("vol-{}", day.rid("", 17, LOWER_HEX));
            let request_id = day.uuid();
            Call::new(&service("backup.amazonaws.com"), t, "ec2.amazonaws.com", "CreateSnapshot")
                .region(region)
                .recipient(DEV)
                .request(json!({ "volumeId": volume, "description": "This snapshot is created by the AWS Backup service." }))
                .response(json!({ "requestId": request_id, "snapshotId": snapshot, "status": "pending",
                                  "volumeSize": 100, "encrypted": true }))
                .emit(day);
        }
    }
    // AWS Config describes everything, every three hours, in three regions: discovery that is
    // not reconnaissance.
    let config = session(
        day,
        &roles.config,
        "AWSConfig-Describe",
        "config.amazonaws.com",
        "config.amazonaws.com",
        opened(None, at(0, 1, 0)),
    );
    for region in ["us-east-1", "eu-west-1", "us-west-2"] {
        for hour in (0..24).step_by(3) {
            let base = at(hour, day.below(50), 0);
            for (k, (source, name)) in [
                ("ec2.amazonaws.com", "DescribeInstances"),
                ("ec2.amazonaws.com", "DescribeSecurityGroups"),
                ("ec2.amazonaws.com", "DescribeVpcs"),
                ("iam.amazonaws.com", "ListRoles"),
                ("s3.amazonaws.com", "ListBuckets"),
                ("rds.amazonaws.com", "DescribeDBInstances"),
            ]
            .into_iter()
            .enumerate()
            {
                if matches!(source, "iam.amazonaws.com" | "s3.amazonaws.com") && region != "us-east-1" {
                    continue;
                }
                Call::new(&config, base + 3 * k as i64, source, name).region(region).emit(day);
            }
        }
    }

    // A monitoring vendor assumes its integration role with an external id, then polls metrics.
    let vendor_id = day.rid("AROA", 17, super::day::UPPER_ALNUM);
    let vendor = Principal::new(
        json!({ "type": "AWSAccount", "principalId": format!("{vendor_id}:datadog-aws-integration"), "accountId": VENDOR }),
        "3.233.146.19",
        VENDOR_UA,
        None,
    );
    for t in day.spread((0, 5), (23, 55), 8) {
        let external = Assume { external_id: Some("0a7c6e1bd47f4f0b9d3f1c2e8a5b6d70"), ..Assume::default() };
        let key = assume_role(day, &vendor, t, &roles.vendor, "DatadogAWSIntegration", external);
        let poller = session(
            day,
            &roles.vendor,
            "DatadogAWSIntegration",
            "3.233.146.19",
            VENDOR_UA,
            opened(Some(key), t),
        );
        for (k, region) in ["us-east-1", "us-west-2", "eu-west-1"].into_iter().enumerate() {
            let k = k as i64;
            Call::new(&poller, t + 5 + k, "monitoring.amazonaws.com", "ListMetrics").region(region).emit(day);
            Call::new(&poller, t + 9 + k, "ec2.amazonaws.com", "DescribeInstances").region(region).emit(day);
        }
        Call::new(&poller, t + 15, "tag.amazonaws.com", "GetResources").emit(day);
    }

    // A security scanner audits production from the dev account, with an external id.
    let scanner =
        session(day, &roles.scanner, "prowler-nightly", "198.51.100.23", BOTO_UA, opened(None, at(2, 0, 0)));
    let external = Assume { external_id: Some("acme-secops-audit"), ..Assume::default() };
    let key = assume_role(day, &scanner, at(2, 0, 31), &roles.audit, "prowler-nightly", external);
    let audit = session(
        day,
        &roles.audit,
        "prowler-nightly",
        "198.51.100.23",
        BOTO_UA,
        opened(Some(key), at(2, 0, 31)),
    );
    for t in day.spread((2, 1), (2, 40), 30) {
        let (source, name) = day.pick(&[
            ("iam.amazonaws.com", "ListUsers"),
            ("iam.amazonaws.com", "ListPolicies"),
            ("iam.amazonaws.com", "ListRolePolicies"),
            ("iam.amazonaws.com", "ListAttachedRolePolicies"),
            ("iam.amazonaws.com", "GetAccountPasswordPolicy"),
            ("s3.amazonaws.com", "GetBucketPublicAccessBlock"),
            ("ec2.amazonaws.com", "DescribeSnapshotAttribute"),
            ("cloudtrail.amazonaws.com", "DescribeTrails"),
        ]);
        let region = day.pick(&["us-east-1", "us-east-1", "eu-west-1"]);
        let request =
            if name.contains("Role") { json!({ "roleName": "prod-ops-admin" }) } else { Value::Null };
        Call::new(&audit, t, source, name).region(region).request(request).emit(day);
    }
    Call::new(&audit, at(2, 41, 3), "iam.amazonaws.com", "GetAccountAuthorizationDetails").emit(day);
    Call::new(&audit, at(2, 41, 30), "iam.amazonaws.com", "GetCredentialReport")
        .error("ReportNotPresent", "Unknown")
        .emit(day);

    let terraform = iam_user(day, DEV, KEY_TARGET_USER, "198.51.100.23", TF_UA, None);
    for t in day.spread((3, 0), (3, 20), 12) {
        let source = day.pick(&["ec2.amazonaws.com", "iam.amazonaws.com"]);
        let name = day.pick(&["DescribeVpcs", "GetRole", "GetPolicy", "DescribeSubnets"]);
        Call::new(&terraform, t, source, name).emit(day);
    }
}

fn production(day: &mut Day) {
    let oncall = iam_user(day, PROD, "priya.raman", "203.0.113.104", CONSOLE_UA, Some(true));
    console_login(day, &oncall, at(7, 45, 0), true, false);
    for t in day.spread((7, 46), (18, 30), 35) {
        let (source, name) = day.pick(&[
            ("ec2.amazonaws.com", "DescribeInstances"),
            ("rds.amazonaws.com", "DescribeDBInstances"),
            ("monitoring.amazonaws.com", "GetMetricData"),
            ("logs.amazonaws.com", "FilterLogEvents"),
            ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth"),
        ]);
        Call::new(&oncall, t, source, name).emit(day);
    }
    let stopped = "i-0f1c7e3a9b2d5c481";
    let request_id = day.uuid();
    Call::new(&oncall, at(16, 2, 0), "ec2.amazonaws.com", "StopInstances")
        .read_only(false)
        .request(json!({ "instancesSet": { "items": [{ "instanceId": stopped }] }, "force": false }))
        .response(json!({ "requestId": request_id, "instancesSet": { "items": [{ "instanceId": stopped,
            "currentState": { "code": 64, "name": "stopping" }, "previousState": { "code": 16, "name": "running" } }] } }))
        .resources(instance_resource(PROD, "us-east-1", stopped))
        .emit(day);
    let deploy_role = Role::new(day, PROD, "prod-deployer");
    for t in day.spread((10, 0), (17, 0), 3) {
        // Production deploys come through the pipeline account, not the insider's path.
        let pipeline_id = day.rid("AROA", 17, super::day::UPPER_ALNUM);
        let pipeline = Principal::new(
            json!({ "type": "AWSAccount", "principalId": format!("{pipeline_id}:codepipeline"), "accountId": DEV }),
            "codepipeline.amazonaws.com",
            "codepipeline.amazonaws.com",
            None,
        );
        let key = assume_role(day, &pipeline, t, &deploy_role, "codepipeline-orders", Assume::default());
        let deployer = session(
            day,
            &deploy_role,
            "codepipeline-orders",
            "codepipeline.amazonaws.com",
            "codepipeline.amazonaws.com",
            opened(Some(key), t),
        );
        Call::new(&deployer, t + 20, "ecs.amazonaws.com", "UpdateService")
            .request(json!({ "cluster": "prod", "service": "orders-api" }))
            .emit(day);
        Call::new(&deployer, t + 40, "ecs.amazonaws.com", "DescribeServices")
            .request(json!({ "cluster": "prod", "services": ["orders-api"] }))
            .emit(day);
    }
    for t in day.spread((0, 30), (23, 30), 8) {
        let clock = super::day::ts(t);
        let snapshot = format!("rds:{ORDERS_DB}-2026-11-03-{}-{}", &clock[11..13], &clock[14..16]);
        Call::new(&service("rds.amazonaws.com"), t, "rds.amazonaws.com", "CreateDBSnapshot")
            .recipient(PROD)
            .request(json!({ "dBSnapshotIdentifier": snapshot, "dBInstanceIdentifier": ORDERS_DB }))
            .emit(day);
    }
    let config_role =
        Role::at_path(day, PROD, "AWSServiceRoleForConfig", "/aws-service-role/config.amazonaws.com/");
    let config = session(
        day,
        &config_role,
        "AWSConfig-Describe",
        "config.amazonaws.com",
        "config.amazonaws.com",
        opened(None, at(0, 1, 0)),
    );
    for hour in (0..24).step_by(4) {
        for (k, (source, name)) in [
            ("ec2.amazonaws.com", "DescribeInstances"),
            ("iam.amazonaws.com", "ListRoles"),
            ("s3.amazonaws.com", "ListBuckets"),
        ]
        .into_iter()
        .enumerate()
        {
            Call::new(&config, at(hour, 7, 3 * k as i64), source, name).emit(day);
        }
    }
}

fn marketing(day: &mut Day) {
    let publisher = Role::new(day, MARKETING, "site-publisher");
    for t in day.spread((9, 0), (17, 0), 4) {
        let name = format!("GitHubActions-{}", 10_000_000 + day.below(90_000_000));
        let site = session(day, &publisher, &name, "20.42.11.9", GITHUB_UA, opened(None, t));
        let reference = day.uuid();
        let invalidation = day.rid("", 12, super::day::UPPER_ALNUM);
        Call::new(&site, t, "cloudfront.amazonaws.com", "CreateInvalidation")
            .request(json!({ "distributionId": "E2QWRUHAPOMQZL",
                             "invalidationBatch": { "paths": { "quantity": 1, "items": ["/*"] }, "callerReference": reference } }))
            .response(json!({ "location": format!("https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation/I{invalidation}") }))
            .emit(day);
    }
    let nora = iam_user(day, MARKETING, "nora.quinn", "192.0.2.40", CONSOLE_UA, Some(true));
    console_login(day, &nora, at(10, 10, 0), true, false);
    let logs_bucket = "acme-marketing-access-logs";
    let host = format!("{logs_bucket}.s3.eu-west-1.amazonaws.com");
    let bucket = json!([{ "accountId": MARKETING, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{logs_bucket}") }]);
    let log_delivery = "uri=http://acs.amazonaws.com/groups/s3/LogDelivery";
    // A private bucket done right: no public access, a log delivery grant, encryption on.
    for (t, name, request) in [
        (
            at(10, 14, 0),
            "CreateBucket",
            json!({ "CreateBucketConfiguration": { "LocationConstraint": "eu-west-1" }, "bucketName": logs_bucket, "Host": host }),
        ),
        (
            at(10, 14, 3),
            "PutPublicAccessBlock",
            json!({
            "publicAccessBlock": "", "bucketName": logs_bucket, "Host": host,
            "PublicAccessBlockConfiguration": { "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "RestrictPublicBuckets": true,
                                                "BlockPublicPolicy": true, "BlockPublicAcls": true, "IgnorePublicAcls": true } }),
        ),
        (
            at(10, 14, 9),
            "PutBucketAcl",
            json!({
            "bucketName": logs_bucket, "Host": host, "acl": "",
            "x-amz-grant-write": [log_delivery], "x-amz-grant-read-acp": [log_delivery] }),
        ),
        (
            at(10, 14, 20),
            "PutBucketEncryption",
            json!({
            "bucketName": logs_bucket, "Host": host, "encryption": "",
            "ServerSideEncryptionConfiguration": { "Rule": { "ApplyServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" } } } }),
        ),
        (at(10, 20, 9), "GetBucketPolicy", json!({ "bucketName": logs_bucket, "Host": host, "policy": "" })),
    ] {
        let data = day.s3_extra();
        let mut call = Call::new(&nora, t, "s3.amazonaws.com", name)
            .region("eu-west-1")
            .request(request)
            .resources(bucket.clone())
            .extra("additionalEventData", data);
        if name == "GetBucketPolicy" {
            call = call.error("NoSuchBucketPolicy", "The bucket policy does not exist");
        }
        call.emit(day);
    }
    for t in day.spread((10, 30), (16, 0), 6) {
        let data = day.s3_extra();
        Call::new(&nora, t, "s3.amazonaws.com", "ListBuckets")
            .region("eu-west-1")
            .request(json!({ "Host": "s3.eu-west-1.amazonaws.com" }))
            .extra("additionalEventData", data)
            .emit(day);
    }
}
