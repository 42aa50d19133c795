//! Azure Resource Manager names: resource ids
//! (`/subscriptions/S/resourceGroups/G/providers/Microsoft.X/type/name/...`), the resource
//! providers (`Microsoft.Storage`) an operation belongs to, and the category of each.
//! Azure matches all of these without regard to case, and logs write them in any case.

use crate::event::Category;

/// The resource providers the normalizer knows, as Microsoft spells them, with their category.
/// Any other provider is [`Category::Management`].
const PROVIDERS: &[(&str, Category)] = &[
    ("Microsoft.Compute", Category::Compute),
    ("Microsoft.ContainerService", Category::Compute),
    ("Microsoft.ContainerInstance", Category::Compute),
    ("Microsoft.ContainerRegistry", Category::Compute),
    ("Microsoft.App", Category::Compute),
    ("Microsoft.Web", Category::Compute),
    ("Microsoft.Batch", Category::Compute),
    ("Microsoft.Automation", Category::Compute),
    ("Microsoft.Logic", Category::Compute),
    ("Microsoft.MachineLearningServices", Category::Compute),
    ("Microsoft.Storage", Category::Storage),
    ("Microsoft.RecoveryServices", Category::Storage),
    ("Microsoft.DataProtection", Category::Storage),
    ("Microsoft.NetApp", Category::Storage),
    ("Microsoft.Network", Category::Network),
    ("Microsoft.Cdn", Category::Network),
    ("Microsoft.Sql", Category::Database),
    ("Microsoft.DocumentDB", Category::Database),
    ("Microsoft.DBforPostgreSQL", Category::Database),
    ("Microsoft.DBforMySQL", Category::Database),
    ("Microsoft.DBforMariaDB", Category::Database),
    ("Microsoft.Cache", Category::Database),
    ("Microsoft.Synapse", Category::Database),
    ("Microsoft.Kusto", Category::Database),
    ("Microsoft.EventHub", Category::Database),
    ("Microsoft.ServiceBus", Category::Database),
    ("Microsoft.DataFactory", Category::Database),
    ("Microsoft.Authorization", Category::Identity),
    ("Microsoft.ManagedIdentity", Category::Identity),
    ("Microsoft.AAD", Category::Identity),
    ("Microsoft.aadiam", Category::Identity),
    ("Microsoft.KeyVault", Category::Security),
    ("Microsoft.Security", Category::Security),
    ("Microsoft.SecurityInsights", Category::Security),
    ("Microsoft.OperationalInsights", Category::Management),
    ("Microsoft.Insights", Category::Management),
    ("Microsoft.Resources", Category::Management),
    ("Microsoft.Advisor", Category::Management),
];

/// A provider as Microsoft spells it when it is known (`MICROSOFT.STORAGE` →
/// `Microsoft.Storage`), else as written.
pub fn canonical(provider: &str) -> &str {
    PROVIDERS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(provider))
        .map_or(provider, |(known, _)| known)
}

pub fn category(provider: &str) -> Category {
    PROVIDERS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(provider))
        .map_or_else(Category::default, |p| p.1)
}

/// The provider of an operation name (`Microsoft.Storage/storageAccounts/write`); `None` for
/// names that are not of that form (`GetBlob`, `Sign-in activity`).
pub fn operation_provider(operation: &str) -> Option<&str> {
    let (provider, _) = operation.split_once('/')?;
    provider.contains('.').then_some(provider)
}

/// The subscription of a resource id.
pub fn subscription(resource_id: &str) -> Option<&str> {
    segment_after(resource_id, "subscriptions")
}

/// The provider of a resource id: the last `providers/` segment, the one the resource's
/// type belongs to.
pub fn resource_provider(resource_id: &str) -> Option<&str> {
    let parts: Vec<&str> = resource_id.split('/').collect();
    let at = parts.iter().rposition(|p| p.eq_ignore_ascii_case("providers"))?;
    parts.get(at + 1).copied().filter(|p| !p.is_empty())
}

/// The type of the resource a resource id names:
/// `/subscriptions/S/resourceGroups/G/providers/Microsoft.Storage/storageAccounts/a/blobServices/default`
/// → `Microsoft.Storage/storageAccounts/blobServices`; an id with no provider names a
/// subscription or a resource group.
pub fn resource_kind(resource_id: &str) -> String {
    let parts: Vec<&str> = resource_id.split('/').filter(|p| !p.is_empty()).collect();
    match parts.iter().rposition(|p| p.eq_ignore_ascii_case("providers")) {
        Some(at) => {
            let mut kind = parts.get(at + 1).map_or("", |p| canonical(p)).to_string();
            // After the provider, type and name alternate.
            for kind_part in parts[at + 2..].iter().step_by(2) {
                kind.push('/');
                kind.push_str(kind_part);
            }
            kind
        }
        None if parts.iter().any(|p| p.eq_ignore_ascii_case("resourceGroups")) => {
            "Microsoft.Resources/resourceGroups".into()
        }
        None if parts.first().is_some_and(|p| p.eq_ignore_ascii_case("subscriptions")) => {
            "Microsoft.Resources/subscriptions".into()
        }
        None => String::new(),
    }
}

/// The tenant of a directory resource id (`/tenants/T/providers/Microsoft.aadiam`).
pub fn tenant(resource_id: &str) -> Option<&str> {
    segment_after(resource_id, "tenants")
}

fn segment_after<'a>(resource_id: &'a str, name: &str) -> Option<&'a str> {
    let mut parts = resource_id.split('/');
    parts.find(|p| p.eq_ignore_ascii_case(name))?;
    parts.next().filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_are_taken_apart_in_any_case() {
        let id = "/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a/blobServices/default";
        assert_eq!(subscription(id), Some("s-1"));
        assert_eq!(resource_provider(id), Some("Microsoft.Storage"));
        assert_eq!(resource_kind(id), "Microsoft.Storage/storageAccounts/blobServices");
        let upper = "/SUBSCRIPTIONS/S-2/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/B";
        assert_eq!(subscription(upper), Some("S-2"));
        assert_eq!(resource_kind(upper), "Microsoft.Storage/STORAGEACCOUNTS");
        assert_eq!(
            resource_kind("/subscriptions/s-1/resourceGroups/rg"),
            "Microsoft.Resources/resourceGroups"
        );
        assert_eq!(resource_kind("/subscriptions/s-1"), "Microsoft.Resources/subscriptions");
        assert_eq!(tenant("/tenants/t-1/providers/Microsoft.aadiam"), Some("t-1"));
        assert_eq!(resource_provider("/providers/Microsoft.Authorization"), Some("Microsoft.Authorization"));
    }

    #[test]
    fn providers_and_their_categories() {
        assert_eq!(
            operation_provider("MICROSOFT.SECURITY/ALERTSSUPPRESSIONRULES/WRITE"),
            Some("MICROSOFT.SECURITY")
        );
        assert_eq!(canonical("MICROSOFT.SECURITY"), "Microsoft.Security");
        assert_eq!(operation_provider("GetBlob"), None);
        for (provider, expected) in [
            ("Microsoft.Storage", Category::Storage),
            ("microsoft.compute", Category::Compute),
            ("Microsoft.ContainerService", Category::Compute),
            ("Microsoft.Authorization", Category::Identity),
            ("Microsoft.Network", Category::Network),
            ("Microsoft.Sql", Category::Database),
            ("Microsoft.DocumentDB", Category::Database),
            ("Microsoft.KeyVault", Category::Security),
            ("Microsoft.Security", Category::Security),
            ("Microsoft.Insights", Category::Management),
            ("Contoso.Unknown", Category::Management),
        ] {
            assert_eq!(category(provider), expected, "{provider}");
        }
    }
}
