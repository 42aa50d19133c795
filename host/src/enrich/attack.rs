//! The ATT&CK techniques of GCP, Azure and Kubernetes actions: how each provider's action name
//! is cut down to the form `attack.tsv` lists it in. (AWS actions are looked up with their
//! access level and risks, by IAM service prefix and event name.)

use super::tables::Tables;

/// The techniques `attack.tsv` lists for an action of `provider`; empty when none.
pub fn techniques(tables: &Tables, provider: &str, service: &str, action: &str) -> &'static [&'static str] {
    let found = match provider {
        "gcp" => tables
            .techniques(provider, service, versionless(action))
            .or_else(|| tables.techniques(provider, "*", action.rsplit('.').next().unwrap_or(action))),
        // Entra ID activities have no namespace: they are listed under `*`.
        "azure" => tables.techniques(
            provider,
            action.split_once('/').map_or("*", |(namespace, _)| namespace),
            action,
        ),
        "kubernetes" => tables.techniques(provider, "*", action),
        _ => None,
    };
    found.unwrap_or_default()
}

/// A GCP `methodName` without its package and API version: `google.iam.admin.v1.CreateRole` →
/// `CreateRole`, `beta.compute.instances.insert` → `compute.instances.insert`; a name with no
/// version segment is returned whole (`storage.objects.get`).
fn versionless(method: &str) -> &str {
    let mut start = 0;
    let mut offset = 0;
    for segment in method.split('.') {
        offset += segment.len() + 1;
        if is_version(segment) {
            start = offset.min(method.len());
        }
    }
    &method[start..]
}

/// `v1`, `v2beta1`, `v1alpha`, `beta`, `alpha`.
fn is_version(segment: &str) -> bool {
    if segment == "beta" || segment == "alpha" {
        return true;
    }
    let mut bytes = segment.bytes();
    bytes.next() == Some(b'v')
        && bytes.next().is_some_and(|b| b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::versionless;

    #[test]
    fn gcp_methods_lose_package_and_version() {
        assert_eq!(versionless("google.iam.admin.v1.CreateServiceAccountKey"), "CreateServiceAccountKey");
        assert_eq!(versionless("v1.compute.instances.insert"), "compute.instances.insert");
        assert_eq!(versionless("beta.compute.instances.insert"), "compute.instances.insert");
        assert_eq!(versionless("google.logging.v2.ConfigServiceV2.DeleteSink"), "ConfigServiceV2.DeleteSink");
        assert_eq!(
            versionless("google.cloud.secretmanager.v1beta1.SecretManagerService.AccessSecretVersion"),
            "SecretManagerService.AccessSecretVersion"
        );
        assert_eq!(versionless("storage.objects.get"), "storage.objects.get");
        assert_eq!(versionless("SetIamPolicy"), "SetIamPolicy");
        assert_eq!(versionless("v1"), "");
        assert_eq!(versionless(""), "");
    }
}
