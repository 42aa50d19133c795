//! What the normalizer knows about GCP services and methods: the category of each service,
//! the verb of a method, and the names of the `google.rpc.Code` status codes.

use crate::event::Category;

/// The category of a call to `service` (`storage.googleapis.com`, `k8s.io`) with `method`.
/// Without a known service (trimmed records have none), the first known service named in the
/// method (`v1.compute.instances.insert`, `google.iam.admin.v1.CreateServiceAccountKey`).
pub fn category(service: &str, method: &str) -> Category {
    let named = service.split('.').next().filter(|s| !s.is_empty());
    match named.and_then(|name| service_category(name, method)) {
        Some(category) => category,
        None => method.split('.').find_map(|part| service_category(part, method)).unwrap_or_default(),
    }
}

/// The category of a service by its short name (the first label of its endpoint).
fn service_category(name: &str, method: &str) -> Option<Category> {
    Some(match name {
        "compute" | "container" | "k8s" | "run" | "cloudfunctions" | "appengine" | "dataproc" | "batch"
        | "composer" | "artifactregistry" | "containerregistry" | "aiplatform" | "notebooks"
        | "workstations" | "vmmigration" | "gkehub" | "gkebackup" => Category::Compute,
        "storage" | "file" | "storagetransfer" | "backupdr" | "gcs" => Category::Storage,
        "dns"
        | "networkservices"
        | "networkconnectivity"
        | "networkmanagement"
        | "servicenetworking"
        | "vpcaccess"
        | "trafficdirector"
        | "apigateway"
        | "apigee"
        | "networkservice" => Category::Network,
        "bigquery"
        | "bigquerydatatransfer"
        | "bigqueryreservation"
        | "sqladmin"
        | "cloudsql"
        | "spanner"
        | "bigtable"
        | "bigtableadmin"
        | "datastore"
        | "firestore"
        | "redis"
        | "memcache"
        | "alloydb"
        | "pubsub"
        | "dataflow"
        | "datacatalog"
        | "dataplex" => Category::Database,
        "iam" | "iamcredentials" | "sts" | "cloudidentity" | "identitytoolkit" | "admin" | "oslogin"
        | "iap" | "login" => Category::Identity,
        // Projects, folders and organizations: their IAM policies are who may do what.
        "cloudresourcemanager" if method.contains("IamPolicy") => Category::Identity,
        "cloudkms"
        | "secretmanager"
        | "securitycenter"
        | "binaryauthorization"
        | "containeranalysis"
        | "websecurityscanner"
        | "privateca"
        | "certificatemanager"
        | "accesscontextmanager"
        | "networksecurity"
        | "recaptchaenterprise"
        | "dlp"
        | "ids"
        | "cloudasset" => Category::Security,
        "logging"
        | "monitoring"
        | "cloudresourcemanager"
        | "serviceusage"
        | "cloudbilling"
        | "billingbudgets"
        | "cloudbuild"
        | "deploymentmanager"
        | "cloudscheduler"
        | "cloudtasks"
        | "osconfig"
        | "clouddeploy"
        | "orgpolicy"
        | "essentialcontacts"
        | "recommender"
        | "serviceconsumermanagement"
        | "servicemanagement"
        | "config" => Category::Management,
        _ => return None,
    })
}

/// The verb of a method: the start of its last part (`getIamPolicy` → `get`,
/// `CreateServiceAccountKey` → `Create`, `insert` → `insert`).
pub fn verb(method: &str) -> &str {
    let last = method.rsplit('.').next().unwrap_or(method);
    let end =
        last.char_indices().skip(1).find(|(_, c)| c.is_ascii_uppercase()).map_or(last.len(), |(i, _)| i);
    &last[..end]
}

/// The name of a `google.rpc.Code` (`7` → `PERMISSION_DENIED`), for error codes that read
/// the same whichever service wrote them.
pub fn status_name(code: i64) -> Option<&'static str> {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code).ok().and_then(|i| NAMES.get(i)).copied()
}

/// `PERMISSION_DENIED`: what a call refused by IAM fails with.
pub const PERMISSION_DENIED: i64 = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_by_service_then_by_method() {
        assert_eq!(category("storage.googleapis.com", "storage.setIamPermissions"), Category::Storage);
        assert_eq!(category("compute.googleapis.com", "v1.compute.instances.insert"), Category::Compute);
        assert_eq!(category("k8s.io", "io.k8s.core.v1.pods.create"), Category::Compute);
        assert_eq!(
            category("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey"),
            Category::Identity
        );
        assert_eq!(category("cloudresourcemanager.googleapis.com", "SetIamPolicy"), Category::Identity);
        assert_eq!(category("cloudresourcemanager.googleapis.com", "CreateProject"), Category::Management);
        assert_eq!(category("bigquery.googleapis.com", "jobservice.insert"), Category::Database);
        assert_eq!(
            category("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.UpdateSink"),
            Category::Management
        );
        assert_eq!(category("secretmanager.googleapis.com", "AccessSecretVersion"), Category::Security);
        assert_eq!(category("", "v1.compute.firewalls.patch"), Category::Compute);
        assert_eq!(category("", "google.iam.admin.v1.CreateRole"), Category::Identity);
        assert_eq!(category("unheard.googleapis.com", "Do"), Category::Management);
    }

    #[test]
    fn verbs_and_status_names() {
        assert_eq!(verb("storage.buckets.getIamPolicy"), "get");
        assert_eq!(verb("google.iam.admin.v1.CreateServiceAccountKey"), "Create");
        assert_eq!(verb("v1.compute.instances.insert"), "insert");
        assert_eq!(verb(""), "");
        assert_eq!(status_name(7), Some("PERMISSION_DENIED"));
        assert_eq!(status_name(16), Some("UNAUTHENTICATED"));
        assert_eq!(status_name(17), None);
        assert_eq!(status_name(-1), None);
    }
}
