//! Tests: Azure normalization — Activity Log records in both forms Microsoft's "Azure Activity
//! Log event schema" documents (the storage export and the REST API's event data), a storage
//! account's resource log, Entra ID sign-in and audit records as diagnostic settings export
//! them, the `{"records":[...]}` blobs they are delivered in, and Panther's labeled events.

use serde_json::{json, Value};
use trailhound::event::{Category, Event};
use trailhound::normalize::{self, Normalized, Read, SourceType};
use trailhound::sources::{self, Input, Item};

const SUBSCRIPTION: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "99999999-8888-7777-6666-555555555555";

fn normalized(record: &Value) -> Event {
    normalize::event(&record.to_string()).unwrap_or_else(|e| panic!("{record}: {e}"))
}

/// An Owner role assignment, as the storage export of diagnostic settings writes it.
fn role_assignment() -> Value {
    json!({
        "time": "2024-05-01T10:00:00.0000000Z",
        "resourceId": format!("/SUBSCRIPTIONS/{SUBSCRIPTION}/RESOURCEGROUPS/RG-APP/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"),
        "operationName": "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE",
        "category": "Administrative",
        "resultType": "Success",
        "resultSignature": "Succeeded.Created",
        "durationMs": "1432",
        "callerIpAddress": "203.0.113.20",
        "correlationId": "5e2f3a4b-1c2d-4e3f-9a8b-7c6d5e4f3a2b",
        "identity": {
            "authorization": {
                "scope": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app"),
                "action": "Microsoft.Authorization/roleAssignments/write",
                "evidence": {"role": "User Access Administrator", "principalId": "a1b2c3d4-0000-1111-2222-333344445555", "principalType": "User"}
            },
            "claims": {
                "aud": "https://management.core.windows.net/",
                "http://schemas.microsoft.com/claims/authnmethodsreferences": "pwd,mfa",
                "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                "http://schemas.microsoft.com/identity/claims/objectidentifier": "a1b2c3d4-0000-1111-2222-333344445555",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "alice@contoso.com",
                "name": "Alice Example",
                "ipaddr": "203.0.113.20",
                "http://schemas.microsoft.com/identity/claims/tenantid": TENANT
            }
        },
        "level": "Information",
        "location": "global",
        "properties": {
            "statusCode": "Created",
            "serviceRequestId": "7d8e9f0a-1b2c-3d4e-5f6a-7b8c9d0e1f2a",
            "eventCategory": "Administrative",
            "message": "Microsoft.Authorization/roleAssignments/write"
        }
    })
}

#[test]
fn a_role_assignment_names_its_caller_from_the_claims() {
    let event = normalized(&role_assignment());
    assert_eq!((event.provider.as_str(), event.source.as_str()), ("azure", "azure-activity"));
    let actor = &event.actor;
    assert_eq!((actor.id.as_str(), actor.kind.as_str()), ("alice@contoso.com", "User"));
    assert_eq!(actor.name.as_deref(), Some("Alice Example"));
    assert_eq!(actor.account, TENANT);
    assert!(actor.mfa, "authnmethodsreferences lists mfa");
    assert_eq!((event.service.as_str(), event.category), ("Microsoft.Authorization", Category::Identity));
    assert_eq!(event.action, "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", "as written");
    assert_eq!(event.account, SUBSCRIPTION);
    assert_eq!(event.region, "global");
    assert!(event.success && !event.read_only && event.management);
    assert_eq!(event.time, 1_714_557_600_000);
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.20"));
    assert_eq!(event.ids.correlation.as_deref(), Some("5e2f3a4b-1c2d-4e3f-9a8b-7c6d5e4f3a2b"));
    assert_eq!(event.ids.request.as_deref(), Some("7d8e9f0a-1b2c-3d4e-5f6a-7b8c9d0e1f2a"));
    assert_eq!(event.resources.len(), 1);
    assert_eq!(event.resources[0].kind, "Microsoft.Authorization/ROLEASSIGNMENTS");
    assert_eq!(event.resources[0].account.as_deref(), Some(SUBSCRIPTION));
    assert!(event.id.starts_with("sha256:"), "the storage export carries no event id");
}

/// The same kind of call as the REST API returns it: `caller`, `claims` at the top, names as
/// `{value, localizedValue}`.
fn rest_event(status: &str) -> Value {
    json!({
        "caller": "b5c6d7e8-aaaa-bbbb-cccc-ddddeeeeffff",
        "channels": "Operation",
        "claims": {"appid": "b5c6d7e8-aaaa-bbbb-cccc-ddddeeeeffff", "idtyp": "app",
            "http://schemas.microsoft.com/identity/claims/tenantid": TENANT},
        "correlationId": "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        "eventDataId": "e4f5a6b7-c8d9-0e1f-2a3b-4c5d6e7f8a9b",
        "eventName": {"value": "EndRequest", "localizedValue": "End request"},
        "category": {"value": "Administrative", "localizedValue": "Administrative"},
        "eventTimestamp": "2024-05-01T10:00:00.5Z",
        "id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-1/events/e4f5/ticks/638500000000000000"),
        "level": "Error",
        "operationId": "9f8e7d6c-5b4a-3928-1716-050403020100",
        "operationName": {"value": "Microsoft.Compute/virtualMachines/write", "localizedValue": "Create or Update Virtual Machine"},
        "resourceGroupName": "rg-app",
        "resourceProviderName": {"value": "Microsoft.Compute", "localizedValue": "Microsoft.Compute"},
        "resourceId": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-1"),
        "status": {"value": status, "localizedValue": status},
        "subStatus": {"value": "Forbidden", "localizedValue": "Forbidden (HTTP Status Code: 403)"},
        "submissionTimestamp": "2024-05-01T10:00:20Z",
        "subscriptionId": SUBSCRIPTION,
        "tenantId": TENANT,
        "httpRequest": {"clientRequestId": "c1", "clientIpAddress": "198.51.100.4", "method": "PUT"},
        "properties": {
            "statusCode": "Forbidden",
            "statusMessage": "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client does not have authorization to perform action 'Microsoft.Compute/virtualMachines/write'.\"}}"
        }
    })
}

#[test]
fn a_failed_operation_named_as_an_object_carries_its_error() {
    let event = normalized(&rest_event("Failed"));
    assert_eq!(event.action, "Microsoft.Compute/virtualMachines/write");
    assert_eq!((event.service.as_str(), event.category), ("Microsoft.Compute", Category::Compute));
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("AuthorizationFailed"), "the code in statusMessage");
    assert!(event.error_message.as_deref().is_some_and(|m| m.contains("does not have authorization")));
    let actor = &event.actor;
    assert_eq!(
        (actor.id.as_str(), actor.kind.as_str()),
        ("b5c6d7e8-aaaa-bbbb-cccc-ddddeeeeffff", "ServicePrincipal")
    );
    assert_eq!(event.id, "e4f5a6b7-c8d9-0e1f-2a3b-4c5d6e7f8a9b");
    assert_eq!(event.time, 1_714_557_600_500);
    assert_eq!(event.source_ip.as_deref(), Some("198.51.100.4"));
    assert_eq!(event.ids.request.as_deref(), Some("9f8e7d6c-5b4a-3928-1716-050403020100"));
    assert_eq!(event.resources[0].kind, "Microsoft.Compute/virtualMachines");

    let succeeded = normalized(&rest_event("Succeeded"));
    assert!(succeeded.success && succeeded.error_code.is_none() && succeeded.error_message.is_none());
    let mut failed_export = role_assignment();
    failed_export["resultType"] = json!("Failure");
    failed_export["resultSignature"] = json!("Forbidden");
    let event = normalized(&failed_export);
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("Forbidden"));
}

#[test]
fn a_storage_accounts_resource_log_is_a_data_access_of_the_storage_category() {
    let base = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/invoices/blobServices/default");
    let read = json!({
        "time": "2024-05-01T10:00:00.1234567Z", "resourceId": base, "category": "StorageRead",
        "operationName": "GetBlob", "operationVersion": "2021-08-06", "schemaVersion": "1.0",
        "statusCode": 200, "statusText": "Success", "durationMs": 5, "callerIpAddress": "192.0.2.44:51234",
        "correlationId": "ad881411-201e-004e-1c99-cfd67d000000", "location": "westeurope",
        "uri": "https://invoices.blob.core.windows.net/2024/may.pdf",
        "identity": {"type": "OAuth", "requester": {"appId": "app-1", "objectId": "f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f", "tenantId": TENANT}},
        "properties": {"accountName": "invoices", "userAgentHeader": "azsdk-python-storage-blob/12.19.0", "serviceType": "blob"}
    });
    let event = normalized(&read);
    assert_eq!((event.service.as_str(), event.category), ("Microsoft.Storage", Category::Storage));
    assert!(event.success && event.read_only && !event.management);
    assert_eq!(event.source_ip.as_deref(), Some("192.0.2.44"), "without the port");
    assert_eq!(event.user_agent.as_deref(), Some("azsdk-python-storage-blob/12.19.0"));
    assert_eq!(
        (event.actor.id.as_str(), event.actor.kind.as_str()),
        ("f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f", "OAuth")
    );
    let denied = json!({
        "time": "2024-05-01T10:00:01Z", "resourceId": base, "category": "StorageRead", "operationName": "GetBlob",
        "statusCode": 403, "statusText": "AuthorizationPermissionMismatch", "callerIpAddress": "192.0.2.45:40000",
        "identity": {"type": "SAS", "tokenHash": "key1(0123456789ABCDEF)"}
    });
    let event = normalized(&denied);
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("AuthorizationPermissionMismatch"));
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("unknown", "SAS"));
    assert_eq!(event.actor.access_key.as_deref(), Some("key1(0123456789ABCDEF)"));
}

#[test]
fn categories_follow_the_resource_provider() {
    for (operation, category) in [
        ("Microsoft.Storage/storageAccounts/listKeys/action", Category::Storage),
        ("Microsoft.Compute/virtualMachines/runCommand/action", Category::Compute),
        ("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", Category::Compute),
        ("Microsoft.Authorization/roleAssignments/write", Category::Identity),
        ("Microsoft.Network/networkSecurityGroups/securityRules/write", Category::Network),
        ("Microsoft.Sql/servers/firewallRules/write", Category::Database),
        ("Microsoft.DocumentDB/databaseAccounts/listKeys/action", Category::Database),
        ("Microsoft.KeyVault/vaults/secrets/read", Category::Security),
        ("Microsoft.Security/pricings/write", Category::Security),
        ("Microsoft.Insights/diagnosticSettings/delete", Category::Management),
    ] {
        let record =
            json!({"operationName": operation, "category": "Administrative", "time": "2024-05-01T10:00:00Z"});
        assert_eq!(normalized(&record).category, category, "{operation}");
    }
    let provider_only_in_the_id = json!({"operationName": "PutBlob", "category": "StorageWrite",
        "resourceId": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a")});
    let event = normalized(&provider_only_in_the_id);
    assert_eq!(event.category, Category::Storage);
    assert!(!event.management, "a bare operation name is a resource log's data access");
}

/// A failed interactive sign-in, as diagnostic settings export `SignInLogs`.
#[test]
fn an_entra_sign_in_failure_is_an_identity_event_with_its_error_code() {
    let record = json!({
        "time": "2024-05-01T10:00:00.0000000Z",
        "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
        "operationName": "Sign-in activity", "operationVersion": "1.0", "category": "SignInLogs",
        "tenantId": TENANT, "resultType": "50126", "resultSignature": "None",
        "resultDescription": "Invalid username or password or Invalid on-premise username or password.",
        "durationMs": 0, "callerIpAddress": "198.51.100.23", "correlationId": "4c5d6e7f-0000-1111-2222-333344445555",
        "identity": "Bob Example", "Level": 4, "location": "NL",
        "properties": {
            "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100", "createdDateTime": "2024-05-01T09:59:58.1234567+00:00",
            "userDisplayName": "Bob Example", "userPrincipalName": "bob@contoso.com", "userId": "d2e3f4a5-0000-1111-2222-333344445555",
            "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "appDisplayName": "Azure Portal", "ipAddress": "198.51.100.23",
            "clientAppUsed": "Browser", "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            "status": {"errorCode": 50126, "failureReason": "Error validating credentials due to invalid username or password."},
            "location": {"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL"},
            "isInteractive": true, "conditionalAccessStatus": "notApplied"
        }
    });
    let event = normalized(&record);
    assert_eq!((event.source.as_str(), event.service.as_str()), ("azure-audit", "signinlogs"));
    assert_eq!((event.category, event.action.as_str()), (Category::Identity, "Sign-in activity"));
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("bob@contoso.com", "User"));
    assert_eq!(event.actor.name.as_deref(), Some("Bob Example"));
    assert!(!event.success);
    assert_eq!(event.error_code.as_deref(), Some("50126"));
    assert_eq!(
        event.error_message.as_deref(),
        Some("Error validating credentials due to invalid username or password.")
    );
    assert_eq!((event.account.as_str(), event.region.as_str()), (TENANT, "NL"));
    assert_eq!(event.source_ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(event.user_agent.as_deref(), Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"));
    assert_eq!(event.id, "66ea54eb-6301-4ee5-be62-ff5a759b0100");
    assert_eq!(event.ids.correlation.as_deref(), Some("4c5d6e7f-0000-1111-2222-333344445555"));

    let mut succeeded = record.clone();
    succeeded["resultType"] = json!("0");
    succeeded["properties"]["status"] = json!({"errorCode": 0});
    assert!(normalized(&succeeded).success);
    let mut service_principal = record;
    service_principal["category"] = json!("ServicePrincipalSignInLogs");
    service_principal["properties"] = json!({"servicePrincipalId": "0a0b0c0d-1111-2222-3333-444455556666",
        "servicePrincipalName": "billing-sync", "appId": "app-2", "status": {"errorCode": 7000215}});
    let event = normalized(&service_principal);
    assert_eq!(
        (event.actor.id.as_str(), event.actor.kind.as_str()),
        ("0a0b0c0d-1111-2222-3333-444455556666", "ServicePrincipal")
    );
    assert_eq!(event.error_code.as_deref(), Some("7000215"));
}

#[test]
fn an_entra_audit_record_names_its_initiator_and_targets() {
    let record = json!({
        "time": "2024-05-01T10:00:00Z", "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
        "operationName": "Add member to role", "category": "AuditLogs", "tenantId": TENANT, "resultSignature": "None",
        "correlationId": "9a8b7c6d-0000-1111-2222-333344445555", "Level": 4,
        "properties": {
            "id": "Directory_9a8b7c6d", "category": "RoleManagement", "correlationId": "9a8b7c6d-0000-1111-2222-333344445555",
            "result": "success", "activityDisplayName": "Add member to role", "activityDateTime": "2024-05-01T10:00:00Z",
            "loggedByService": "Core Directory", "operationType": "Assign",
            "initiatedBy": {"user": {"id": "e1e2e3e4-0000-1111-2222-333344445555", "displayName": null,
                "userPrincipalName": "admin@contoso.com", "ipAddress": "203.0.113.50"}},
            "targetResources": [
                {"id": "f1f2f3f4-0000-1111-2222-333344445555", "displayName": null, "type": "User", "userPrincipalName": "eve@contoso.com"},
                {"id": "62e90394-69f5-4237-9190-012177145e10", "displayName": "Global Administrator", "type": "Role"}
            ]
        }
    });
    let event = normalized(&record);
    assert_eq!((event.source.as_str(), event.service.as_str()), ("azure-audit", "auditlogs"));
    assert_eq!(event.action, "Add member to role");
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("admin@contoso.com", "User"));
    assert!(event.success && event.management && !event.read_only);
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.50"));
    let targets: Vec<(&str, &str)> =
        event.resources.iter().map(|r| (r.kind.as_str(), r.id.as_str())).collect();
    assert_eq!(
        targets,
        [("User", "f1f2f3f4-0000-1111-2222-333344445555"), ("Role", "62e90394-69f5-4237-9190-012177145e10")]
    );

    let mut by_app = record;
    by_app["properties"]["initiatedBy"] =
        json!({"app": {"appId": "app-3", "displayName": "Provisioner", "servicePrincipalId": "sp-3"}});
    by_app["properties"]["result"] = json!("failure");
    by_app["properties"]["resultReason"] = json!("Insufficient privileges");
    let event = normalized(&by_app);
    assert_eq!((event.actor.id.as_str(), event.actor.kind.as_str()), ("app-3", "ServicePrincipal"));
    assert_eq!(event.actor.name.as_deref(), Some("Provisioner"));
    assert!(!event.success);
    assert_eq!(event.error_message.as_deref(), Some("Insufficient privileges"));
}

#[test]
fn entra_aks_and_activity_records_are_told_apart_by_their_content() {
    let policy_change = json!({"time": "2024-05-01T10:00:00Z", "operationName": "Update policy", "category": "Policy",
        "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
        "properties": {"activityDisplayName": "Update policy", "initiatedBy": {"user": {"userPrincipalName": "admin@contoso.com"}}}});
    assert_eq!(
        normalized(&policy_change).source,
        "azure-audit",
        "an Activity Log category, a directory record"
    );
    let policy_audit = json!({"time": "2024-05-01T10:00:00Z", "operationName": "Microsoft.Authorization/policies/audit/action",
        "category": "Policy", "resourceId": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/g"), "properties": {"isComplianceCheck": "False"}});
    assert_eq!(normalized(&policy_audit).source, "azure-activity");
    let forced = normalize::read(&policy_change.to_string(), Some(SourceType::AzureActivity));
    assert!(matches!(&forced, Err(reason) if reason.contains("Entra ID audit record")), "{:?}", forced.err());

    let aks = json!({"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
        "resourceId": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c"),
        "properties": {"log": "{\"kind\":\"Event\",\"verb\":\"get\"}", "stream": "stdout"}});
    match normalize::read(&aks.to_string(), None) {
        Ok(Read::Event { event, .. }) => assert_eq!(event.source, "k8s-audit", "the Kubernetes source's"),
        Ok(Read::Skip(_)) => {}
        Err(reason) => assert!(reason.contains("AKS Kubernetes audit record"), "{reason}"),
    }
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (
            json!({"operationName": 7, "category": "Administrative"}),
            "operationName: expected a non-empty string",
        ),
        (
            json!({"operationName": "Microsoft.Compute/virtualMachines/write", "time": "soon"}),
            "time: cannot read \"soon\" as a timestamp",
        ),
        (
            json!({"operationName": "Sign-in activity", "category": "SignInLogs", "time": 1e300, "properties": {}}),
            "time: cannot read 1e300",
        ),
    ];
    for (record, expected) in cases {
        let error = normalize::event(&record.to_string()).expect_err(expected);
        assert!(error.contains(expected), "{record}: {error:?} does not contain {expected:?}");
    }
    let redacted_fallback = json!({"operationName": "Sign-in activity", "category": "SignInLogs",
        "properties": {"createdDateTime": "...", "userPrincipalName": "bob@contoso.com"}});
    let read = normalize::read(&redacted_fallback.to_string(), None);
    assert!(
        matches!(read, Ok(Read::Event { time_missing: true, .. })),
        "a fallback time that is unreadable is none"
    );
}

#[test]
fn a_records_blob_of_diagnostic_settings_is_read_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("PT1H.json");
    let mut failed = rest_event("Failed");
    failed["eventDataId"] = json!("second");
    let blob = json!({"records": [role_assignment(), failed]});
    std::fs::write(&path, serde_json::to_string_pretty(&blob).unwrap()).unwrap();
    let mut events = Vec::new();
    sources::read(&Input::File(path.clone()), Default::default(), &mut |item| match item {
        Item::Record(raw) => match normalize::normalize(raw, None) {
            Ok(Normalized::Event(record)) => events.push((record.event, record.origin.to_string())),
            Ok(Normalized::Skipped { origin, reason }) => panic!("{origin}: skipped: {reason}"),
            Err(bad) => panic!("{}: {}", bad.origin, bad.reason),
        },
        Item::Malformed(bad) => panic!("{}: {}", bad.origin, bad.reason),
    })
    .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|(event, _)| event.source == "azure-activity"));
    assert_eq!(events[0].0.actor.id, "alice@contoso.com");
    assert_eq!((events[1].0.id.as_str(), events[1].0.success), ("second", false));
    assert!(events[1].1.contains("(Records[1], byte "), "{}", events[1].1);
}

/// Every Azure diagnostic record among Panther's `azure-activity` rows normalizes as an
/// activity event; the file also holds AKS's Kubernetes audit records (in the same
/// envelope), Kubernetes and GCP records and `{}` placeholders.
#[test]
fn every_panther_azure_activity_record_normalizes() {
    let judge = |record: &Value| {
        if let Some(reason) = super::panther::placeholder(record) {
            return Err(reason);
        }
        if super::panther::folded(record, "operationName").is_none() {
            return Err("not an Azure diagnostic record (another source's record)".into());
        }
        let category = super::panther::folded(record, "category").and_then(Value::as_str).unwrap_or_default();
        if category.starts_with("kube-audit") {
            return Err("an AKS Kubernetes audit record (the Kubernetes source's)".into());
        }
        Ok(())
    };
    let Some(tally) = super::panther::check("azure-activity.jsonl", "azure-activity", judge) else { return };
    assert!(tally.normalized >= 200, "only {} records normalized", tally.normalized);
}

/// Every Entra ID record among Panther's `azure-audit` rows normalizes as an audit event;
/// the file also holds Okta, 1Password and CloudTrail events and `{}` placeholders.
#[test]
fn every_panther_entra_record_normalizes() {
    let judge = |record: &Value| {
        if let Some(reason) = super::panther::placeholder(record) {
            return Err(reason);
        }
        match super::panther::folded(record, "operationName") {
            Some(_) => Ok(()),
            None => Err("not an Azure diagnostic record (another source's record)".into()),
        }
    };
    let Some(tally) = super::panther::check("azure-audit.jsonl", "azure-audit", judge) else { return };
    assert!(tally.normalized >= 45, "only {} records normalized", tally.normalized);
}
