//! GCP Cloud Audit Logs of Acme's analytics project, one `LogEntry` per record as a log sink
//! exports them. Story 3 begins here (18:41–18:44): the contractor's identity, used from the
//! intruder's address, impersonates a service account (`GenerateAccessToken` on
//! `iamcredentials.googleapis.com`) and, as that account, grants `allUsers` read on a bucket
//! (`storage.setIamPermissions`, whose `serviceData.policyDelta` records the binding added).
//! Around it, the project's benign day: an asset inventory listing instances and buckets, a
//! data engineer reading objects and sharing a bucket with a group, a platform engineer
//! looking at instances, and CI impersonating its deploy account to upload artifacts.

use serde_json::{json, Map, Value};

use super::day::{at, ts_fraction, Day, LOWER_ALNUM, LOWER_HEX};
use super::{CONTRACTOR, INTRUDER_IP};

pub const PROJECT: &str = "acme-analytics-prod";
/// The service account the intruder impersonates, and its unique id.
pub const EXPORTER: &str = "analytics-exporter@acme-analytics-prod.iam.gserviceaccount.com";
const EXPORTER_ID: &str = "112847561039284756102";
/// The bucket made public.
pub const PUBLIC_BUCKET: &str = "acme-analytics-exports";
/// The role granted to `allUsers` on it.
pub const PUBLIC_ROLE: &str = "roles/storage.objectViewer";

const LOCATION: &str = "us-central1";
const ZONES: [&str; 2] = ["us-central1-a", "us-central1-b"];
const INSTANCES: [(&str, &str, &str); 3] = [
    ("etl-worker-1", "us-central1-a", "4518027736310294561"),
    ("etl-worker-2", "us-central1-a", "7730915542086417283"),
    ("notebook-gpu-1", "us-central1-b", "2294461873051920647"),
];
const CURATED_BUCKET: &str = "acme-analytics-curated";
const ARTIFACTS_BUCKET: &str = "acme-analytics-artifacts";
const INVENTORY: &str = "asset-inventory@acme-analytics-prod.iam.gserviceaccount.com";
const CI_BUILDER: &str = "ci-builder@acme-platform-ci.iam.gserviceaccount.com";
const DEPLOYER: &str = "deployer@acme-analytics-prod.iam.gserviceaccount.com";
const DEPLOYER_ID: &str = "109384756120938475610";
/// The address Google writes for callers on its own network.
const INTERNAL: &str = "gce-internal-ip";

const GCLOUD_UA: &str = "google-cloud-sdk gcloud/497.0.0 command/{command} invocation-id/{invocation} \
     environment/None environment-version/None client-os/LINUX client-os-ver/6.8.0 \
     client-pltf-arch/x86_64 interactive/True from-script/False python/3.12.6 \
     term/xterm-256color (Linux 6.8.0-48-generic),gzip(gfe)";
const CONSOLE_UA: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) \
     Chrome/130.0.0.0 Safari/537.36,gzip(gfe)";
const PYTHON_UA: &str = "gcloud-python/3.1.0 gl-python/3.12.6 grpc/1.66.2 gax/2.21.0 gccl/2.18.2,gzip(gfe)";
const GO_UA: &str = "google-api-go-client/0.5 asset-inventory/1.4.2,gzip(gfe)";

/// Who calls: the principal Google authenticated, and the principal it acts for when it was
/// impersonated.
struct Caller {
    email: String,
    delegated_by: Option<String>,
    ip: String,
    ua: String,
}

impl Caller {
    fn new(email: &str, ip: &str, ua: &str) -> Caller {
        Caller { email: email.into(), delegated_by: None, ip: ip.into(), ua: ua.into() }
    }

    /// `email` impersonated by `by`, from where `by` calls.
    fn impersonated(email: &str, by: &Caller) -> Caller {
        Caller {
            email: email.into(),
            delegated_by: Some(by.email.clone()),
            ip: by.ip.clone(),
            ua: by.ua.clone(),
        }
    }

    fn authentication(&self) -> Value {
        let kind = if self.email.ends_with(".gserviceaccount.com") { "serviceAccount" } else { "user" };
        let mut info =
            json!({ "principalEmail": self.email, "principalSubject": format!("{kind}:{}", self.email) });
        if let Some(by) = &self.delegated_by {
            info["serviceAccountDelegationInfo"] =
                json!([{ "firstPartyPrincipal": { "principalEmail": by } }]);
        }
        info
    }
}

/// gcloud's user agent running `command`, one invocation id per command.
fn gcloud(day: &mut Day, command: &str) -> String {
    GCLOUD_UA.replace("{command}", command).replace("{invocation}", &day.rid("", 32, LOWER_HEX))
}

/// Which audit log an entry is written to.
#[derive(Clone, Copy)]
enum Log {
    /// Admin Activity: calls that change configuration (`ADMIN_WRITE`).
    Activity,
    /// Data Access: reads of configuration (`ADMIN_READ`), reads and writes of data.
    DataAccess,
}

/// One audited call, built up and then [`Entry::emit`]ted as a log entry.
struct Entry<'c> {
    who: &'c Caller,
    time: i64,
    service: &'static str,
    method: &'static str,
    resource_name: String,
    permission: &'static str,
    monitored: Value,
    log: Log,
    payload: Map<String, Value>,
}

impl<'c> Entry<'c> {
    fn new(who: &'c Caller, time: i64, service: &'static str, method: &'static str, log: Log) -> Self {
        Entry {
            who,
            time,
            service,
            method,
            resource_name: String::new(),
            permission: "",
            monitored: Value::Null,
            log,
            payload: Map::new(),
        }
    }

    /// The resource called on, the permission IAM checked on it, and the monitored resource
    /// the entry is filed under.
    fn on(mut self, resource_name: impl Into<String>, permission: &'static str, monitored: Value) -> Self {
        self.resource_name = resource_name.into();
        self.permission = permission;
        self.monitored = monitored;
        self
    }

    /// A field of the payload beside the common ones (`request`, `serviceData`, `metadata`).
    fn with(mut self, key: &str, value: Value) -> Self {
        self.payload.insert(key.into(), value);
        self
    }

    fn emit(self, day: &mut Day, out: &mut Vec<Value>) {
        let nanos = day.nanos();
        // The service received the request a little before the entry's time; Logging a
        // little after.
        let received = self.time - 1;
        let logged = self.time + 1;
        let mut payload = Map::new();
        payload.insert("@type".into(), "type.googleapis.com/google.cloud.audit.AuditLog".into());
        payload.insert("status".into(), json!({}));
        payload.insert("authenticationInfo".into(), self.who.authentication());
        payload.insert(
            "requestMetadata".into(),
            json!({
                "callerIp": self.who.ip, "callerSuppliedUserAgent": self.who.ua,
                "requestAttributes": { "time": ts_fraction(received, nanos, 6), "auth": {} },
                "destinationAttributes": {}
            }),
        );
        payload.insert("serviceName".into(), self.service.into());
        payload.insert("methodName".into(), self.method.into());
        payload.insert(
            "authorizationInfo".into(),
            json!([{ "resource": self.resource_name, "permission": self.permission, "granted": true,
                     "resourceAttributes": {} }]),
        );
        payload.insert("resourceName".into(), self.resource_name.into());
        payload.extend(self.payload);
        let (log, severity) = match self.log {
            Log::Activity => ("activity", "NOTICE"),
            Log::DataAccess => ("data_access", "INFO"),
        };
        let insert_id = day.rid("", 12, LOWER_ALNUM);
        out.push(json!({
            "protoPayload": payload,
            "insertId": insert_id,
            "resource": self.monitored,
            "timestamp": ts_fraction(self.time, nanos, 9),
            "severity": severity,
            "logName": format!("projects/{PROJECT}/logs/cloudaudit.googleapis.com%2F{log}"),
            "receiveTimestamp": ts_fraction(logged, nanos, 9),
        }));
    }
}

fn bucket_resource(bucket: &str) -> Value {
    json!({ "type": "gcs_bucket", "labels": { "project_id": PROJECT, "bucket_name": bucket, "location": LOCATION } })
}

fn bucket_name(bucket: &str) -> String {
    format!("projects/_/buckets/{bucket}")
}

fn instance_resource(id: &str, zone: &str) -> Value {
    json!({ "type": "gce_instance", "labels": { "project_id": PROJECT, "instance_id": id, "zone": zone } })
}

/// `GenerateAccessToken` of `account` (unique id `id`) by `who`: the start of an impersonation.
fn generate_access_token(day: &mut Day, out: &mut Vec<Value>, who: &Caller, t: i64, account: &str, id: &str) {
    let project = account.split('@').nth(1).and_then(|d| d.strip_suffix(".iam.gserviceaccount.com"));
    let named = format!("projects/-/serviceAccounts/{account}");
    Entry::new(who, t, "iamcredentials.googleapis.com", "GenerateAccessToken", Log::DataAccess)
        .on(
            format!("projects/-/serviceAccounts/{id}"),
            "iam.serviceAccounts.getAccessToken",
            json!({ "type": "service_account",
                    "labels": { "project_id": project.unwrap_or(PROJECT), "email_id": account, "unique_id": id } }),
        )
        .with(
            "request",
            json!({ "@type": "type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest", "name": named }),
        )
        .with("metadata", json!({ "identityDelegationChain": [named] }))
        .emit(day, out);
}

/// `storage.setIamPermissions` adding `member` to `role` on `bucket`, with the policy's other
/// bindings as they were.
fn grant_on_bucket(
    day: &mut Day,
    out: &mut Vec<Value>,
    who: &Caller,
    t: i64,
    bucket: &str,
    role: &str,
    member: &str,
) {
    let bindings = json!([
        { "role": "roles/storage.legacyBucketOwner",
          "members": [format!("projectEditor:{PROJECT}"), format!("projectOwner:{PROJECT}")] },
        { "role": "roles/storage.legacyBucketReader", "members": [format!("projectViewer:{PROJECT}")] },
        { "role": role, "members": [member] }
    ]);
    // A bucket policy's etag is its version, base64-encoded.
    let etag = format!("CA{}=", day.pick(&["E", "I", "M", "Q"]));
    Entry::new(who, t, "storage.googleapis.com", "storage.setIamPermissions", Log::Activity)
        .on(bucket_name(bucket), "storage.buckets.setIamPolicy", bucket_resource(bucket))
        .with(
            "request",
            json!({ "@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest", "resource": bucket_name(bucket),
                    "policy": { "bindings": bindings, "etag": etag } }),
        )
        .with(
            "serviceData",
            json!({ "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                    "policyDelta": { "bindingDeltas": [{ "action": "ADD", "role": role, "member": member }] } }),
        )
        .with("resourceLocation", json!({ "currentLocations": [LOCATION] }))
        .emit(day, out);
}

fn read_bucket_policy(day: &mut Day, out: &mut Vec<Value>, who: &Caller, t: i64, bucket: &str) {
    Entry::new(who, t, "storage.googleapis.com", "storage.getIamPermissions", Log::DataAccess)
        .on(bucket_name(bucket), "storage.buckets.getIamPolicy", bucket_resource(bucket))
        .with("resourceLocation", json!({ "currentLocations": [LOCATION] }))
        .emit(day, out);
}

/// The project's entries of the day, in time order.
pub fn entries(day: &mut Day) -> Vec<Value> {
    let mut out = Vec::new();
    story(day, &mut out);
    inventory(day, &mut out);
    people(day, &mut out);
    ci(day, &mut out);
    out.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
    out
}

/// Story 3, step 1: the exporter account impersonated, and its bucket made public.
fn story(day: &mut Day, out: &mut Vec<Value>) {
    let ua = gcloud(day, "gcloud.storage.buckets.add-iam-policy-binding");
    let contractor = Caller::new(CONTRACTOR, INTRUDER_IP, &ua);
    let exporter = Caller::impersonated(EXPORTER, &contractor);
    generate_access_token(day, out, &contractor, at(18, 41, 7), EXPORTER, EXPORTER_ID);
    read_bucket_policy(day, out, &exporter, at(18, 41, 9), PUBLIC_BUCKET);
    grant_on_bucket(day, out, &exporter, at(18, 43, 26), PUBLIC_BUCKET, PUBLIC_ROLE, "allUsers");
    let ua = gcloud(day, "gcloud.storage.buckets.get-iam-policy");
    let contractor = Caller::new(CONTRACTOR, INTRUDER_IP, &ua);
    generate_access_token(day, out, &contractor, at(18, 44, 2), EXPORTER, EXPORTER_ID);
    read_bucket_policy(day, out, &Caller::impersonated(EXPORTER, &contractor), at(18, 44, 3), PUBLIC_BUCKET);
}

/// An asset inventory lists the project's instances and reads its buckets every two hours.
fn inventory(day: &mut Day, out: &mut Vec<Value>) {
    let scanner = Caller::new(INVENTORY, INTERNAL, GO_UA);
    for hour in (0..24).step_by(2) {
        let base = at(hour, 15, day.below(50));
        for (k, zone) in ZONES.into_iter().enumerate() {
            Entry::new(&scanner, base + k as i64, "compute.googleapis.com", "v1.compute.instances.list", Log::DataAccess)
                .on(
                    format!("projects/{PROJECT}/zones/{zone}/instances"),
                    "compute.instances.list",
                    json!({ "type": "gce_instance", "labels": { "project_id": PROJECT, "instance_id": "", "zone": zone } }),
                )
                .with("request", json!({ "@type": "type.googleapis.com/compute.instances.list" }))
                .emit(day, out);
        }
        for (k, bucket) in [CURATED_BUCKET, ARTIFACTS_BUCKET, PUBLIC_BUCKET].into_iter().enumerate() {
            Entry::new(
                &scanner,
                base + 5 + k as i64,
                "storage.googleapis.com",
                "storage.buckets.get",
                Log::DataAccess,
            )
            .on(bucket_name(bucket), "storage.buckets.get", bucket_resource(bucket))
            .emit(day, out);
        }
    }
}

/// A data engineer and a platform engineer at work.
fn people(day: &mut Day, out: &mut Vec<Value>) {
    let engineer = Caller::new("a.mendes@acme.example", "203.0.113.118", PYTHON_UA);
    for t in day.spread((9, 10), (17, 20), 18) {
        let (method, permission, object) = day.pick(&[
            ("storage.objects.list", "storage.objects.list", None),
            ("storage.objects.get", "storage.objects.get", Some("daily/orders/2026-11-02.parquet")),
            ("storage.objects.get", "storage.objects.get", Some("daily/customers/2026-11-02.parquet")),
        ]);
        let name = match object {
            Some(object) => format!("{}/objects/{object}", bucket_name(CURATED_BUCKET)),
            None => bucket_name(CURATED_BUCKET),
        };
        Entry::new(&engineer, t, "storage.googleapis.com", method, Log::DataAccess)
            .on(name, permission, bucket_resource(CURATED_BUCKET))
            .emit(day, out);
    }
    // Sharing the curated bucket with the data team's group: a grant to a known group.
    let console = Caller::new("a.mendes@acme.example", "203.0.113.118", CONSOLE_UA);
    read_bucket_policy(day, out, &console, at(11, 31, 40), CURATED_BUCKET);
    let group = "group:data-eng@acme.example";
    grant_on_bucket(day, out, &console, at(11, 32, 5), CURATED_BUCKET, PUBLIC_ROLE, group);

    let ua = gcloud(day, "gcloud.compute.instances.describe");
    let platform = Caller::new("l.tanaka@acme.example", "203.0.113.121", &ua);
    for t in day.spread((10, 0), (16, 0), 10) {
        let (name, zone, id) = day.pick(&INSTANCES);
        Entry::new(&platform, t, "compute.googleapis.com", "v1.compute.instances.get", Log::DataAccess)
            .on(
                format!("projects/{PROJECT}/zones/{zone}/instances/{name}"),
                "compute.instances.get",
                instance_resource(id, zone),
            )
            .with("request", json!({ "@type": "type.googleapis.com/compute.instances.get" }))
            .emit(day, out);
    }
}

/// CI impersonates its deploy account, as it is meant to, to upload build artifacts.
fn ci(day: &mut Day, out: &mut Vec<Value>) {
    let builder = Caller::new(CI_BUILDER, INTERNAL, PYTHON_UA);
    let deployer = Caller::impersonated(DEPLOYER, &builder);
    for t in day.spread((9, 30), (17, 0), 3) {
        generate_access_token(day, out, &builder, t, DEPLOYER, DEPLOYER_ID);
        let build = day.rid("", 8, LOWER_HEX);
        for (k, artifact) in ["etl.tar.gz", "etl.tar.gz.sha256"].into_iter().enumerate() {
            Entry::new(
                &deployer,
                t + 20 + k as i64,
                "storage.googleapis.com",
                "storage.objects.create",
                Log::DataAccess,
            )
            .on(
                format!("{}/objects/builds/{build}/{artifact}", bucket_name(ARTIFACTS_BUCKET)),
                "storage.objects.create",
                bucket_resource(ARTIFACTS_BUCKET),
            )
            .emit(day, out);
        }
    }
}
