//! The Azure Activity Log of Acme's production subscription, as diagnostic settings export it
//! to a storage account (`resourceId` and `operationName` in upper case, the caller in
//! `identity.claims`). Each operation is recorded twice under one `correlationId`: when it
//! starts (with the request's body) and when it succeeds (with the response's).
//!
//! Story 3, step 2 (19:05): the contractor's identity, from the intruder's address, assigns
//! Owner of the subscription to a guest from outside Acme's tenant
//! (`Microsoft.Authorization/roleAssignments/write`). Around it, the subscription's benign day:
//! an automation identity listing a storage account's keys every four hours and starting and
//! deallocating the dev build machines, two template deployments from CI, and a platform
//! admin (with MFA) granting Reader to the automation identity and resizing a machine.

use serde_json::{json, Value};

use super::day::{at, ts_fraction, Day, ALNUM, LOWER_HEX};
use super::{CONTRACTOR, INTRUDER_IP};

pub const SUBSCRIPTION: &str = "5f3c9a12-7d4e-4b8a-9c61-2e8f0d3b7a45";
pub const TENANT: &str = "c1a7e0d4-93b2-4f6e-8a15-7d2c9e4b0f38";
/// The guest the intruder makes Owner: a user of another tenant, invited into Acme's.
pub const GUEST: &str = "e7d41c09-2a8f-4b36-95e1-0c6b3f8a2d74";
/// Azure's built-in Owner role.
pub const OWNER_ROLE: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER_ROLE: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// A built-in role whose assignment authorizes a caller.
struct Role {
    name: &'static str,
    id: &'static str,
}

const OWNER: Role = Role { name: "Owner", id: OWNER_ROLE };
const CONTRIBUTOR: Role = Role { name: "Contributor", id: "b24988ac-6180-42a0-ab88-20f7382dd24c" };
const USER_ACCESS_ADMINISTRATOR: Role =
    Role { name: "User Access Administrator", id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9" };
const VM_CONTRIBUTOR: Role =
    Role { name: "Virtual Machine Contributor", id: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c" };
const KEY_OPERATOR: Role =
    Role { name: "Storage Account Key Operator Service Role", id: "81a9662b-bebf-436f-a333-f67b29880f12" };
const CONTRACTOR_ID: &str = "3b9e2f71-6c4d-48a5-b0e3-9f1a7d2c5e86";
const ASSIGNMENT: &str = "9a0c4e6b-1f72-4d38-8b5a-e2c7f9013d64";
const AUTOMATION: &str = "acme-ops-automation";
const AUTOMATION_ID: &str = "5d2b8e14-7a93-4c06-b1f5-3e9a0c6d7f21";
const AUTOMATION_CLIENT: &str = "a4f7c2e9-0b13-4d58-9e6a-71c3b5d8f024";
const DEPLOYER_ID: &str = "8f16a3d0-4c2b-47e9-9d53-b0e7a2c6f195";
const DEPLOYER_CLIENT: &str = "0c9e4b27-6d15-4f83-a2b9-5e71d3c8f046";
const ADMIN: &str = "j.alvarez@acme.example";
const ADMIN_ID: &str = "6a4e1c93-8b27-4f05-a3d6-c9e0b2f71d48";
/// The public client ids of the Azure CLI and the Azure portal.
const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const AZURE_PORTAL: &str = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c";
const BUILD_MACHINES: [&str; 2] = ["dev-build-01", "dev-build-02"];
const BACKUPS: &str = "acmeopsbackups";
/// The GitHub-hosted runner CI deploys from (the one its AWS deploys come from too).
const GITHUB_RUNNER: &str = "20.42.11.9";

/// Who calls: their token's claims, and the role assignment that let them.
struct Caller {
    claims: Value,
    object_id: &'static str,
    kind: &'static str,
    role: &'static Role,
    /// Where the call came from; Azure records none for its own services' managed identities.
    ip: Option<&'static str>,
}

fn token_times(day: &mut Day, t: i64) -> (String, String, String) {
    let issued = t - 300 - day.below(1800);
    (issued.to_string(), issued.to_string(), (issued + 4500).to_string())
}

/// A person who signs in to Entra ID.
struct Person {
    upn: &'static str,
    name: &'static str,
    object_id: &'static str,
    /// The client they sign in through.
    app: &'static str,
    /// How they authenticated (`amr`).
    methods: &'static str,
    ip: &'static str,
    /// The role whose assignment authorizes their calls.
    role: &'static Role,
}

const CONTRACTOR_USER: Person = Person {
    upn: CONTRACTOR,
    name: "Riley Vance",
    object_id: CONTRACTOR_ID,
    app: AZURE_CLI,
    methods: "pwd",
    ip: INTRUDER_IP,
    role: &USER_ACCESS_ADMINISTRATOR,
};

const ADMIN_USER: Person = Person {
    upn: ADMIN,
    name: "Jordan Alvarez",
    object_id: ADMIN_ID,
    app: AZURE_PORTAL,
    methods: "pwd,mfa",
    ip: "203.0.113.130",
    role: &OWNER,
};

/// `person`'s token for a call at `t`.
fn user(day: &mut Day, t: i64, person: &Person) -> Caller {
    let (iat, nbf, exp) = token_times(day, t);
    let claims = json!({
        "aud": "https://management.core.windows.net/",
        "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": iat, "nbf": nbf, "exp": exp,
        "http://schemas.microsoft.com/claims/authnclassreference": "1",
        "http://schemas.microsoft.com/claims/authnmethodsreferences": person.methods,
        "appid": person.app, "appidacr": "0",
        "ipaddr": person.ip,
        "name": person.name,
        "http://schemas.microsoft.com/identity/claims/objectidentifier": person.object_id,
        "http://schemas.microsoft.com/identity/claims/scope": "user_impersonation",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": day.rid("", 43, ALNUM),
        "http://schemas.microsoft.com/identity/claims/tenantid": TENANT,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": person.upn,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": person.upn,
        "uti": day.rid("", 22, ALNUM), "ver": "1.0", "idtyp": "user"
    });
    Caller { claims, object_id: person.object_id, kind: "User", role: person.role, ip: Some(person.ip) }
}

/// An application signing in as itself: a managed identity (`mirid` its resource id) or a
/// service principal.
fn app(
    day: &mut Day,
    t: i64,
    client: &str,
    object_id: &'static str,
    mirid: Option<String>,
    role: &'static Role,
    ip: Option<&'static str>,
) -> Caller {
    let (iat, nbf, exp) = token_times(day, t);
    let mut claims = json!({
        "aud": "https://management.azure.com/",
        "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": iat, "nbf": nbf, "exp": exp,
        "appid": client, "appidacr": "2",
        "http://schemas.microsoft.com/identity/claims/identityprovider": format!("https://sts.windows.net/{TENANT}/"),
        "http://schemas.microsoft.com/identity/claims/objectidentifier": object_id,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": object_id,
        "http://schemas.microsoft.com/identity/claims/tenantid": TENANT,
        "uti": day.rid("", 22, ALNUM), "ver": "1.0", "idtyp": "app"
    });
    if let Some(mirid) = mirid {
        claims["xms_mirid"] = mirid.into();
    }
    Caller { claims, object_id, kind: "ServicePrincipal", role, ip }
}

fn subscription() -> String {
    format!("/subscriptions/{SUBSCRIPTION}")
}

fn in_group(group: &str, resource: &str) -> String {
    format!("{}/resourceGroups/{group}/providers/{resource}", subscription())
}

/// One operation on `resource` (ids as Microsoft spells them; the export writes them in upper
/// case), recorded when it starts and when it succeeds.
struct Operation<'c> {
    who: &'c Caller,
    time: i64,
    name: &'static str,
    resource: String,
    status: &'static str,
    request: Option<Value>,
    response: Option<Value>,
}

impl<'c> Operation<'c> {
    fn new(who: &'c Caller, time: i64, name: &'static str, resource: String) -> Self {
        Operation { who, time, name, resource, status: "OK", request: None, response: None }
    }

    /// A write that creates what it names: its body, and what Resource Manager answers.
    fn creates(mut self, request: Value, response: Value) -> Self {
        self.status = "Created";
        self.request = Some(request);
        self.response = Some(response);
        self
    }

    fn emit(self, day: &mut Day, out: &mut Vec<Value>) {
        let correlation = day.uuid();
        let assignment = day.rid("", 32, LOWER_HEX);
        let duration = 150 + day.below(2500);
        let hierarchy = format!("{TENANT}/{SUBSCRIPTION}");
        let identity = json!({
            "authorization": {
                "scope": self.resource, "action": self.name,
                "evidence": { "role": self.who.role.name, "roleAssignmentScope": subscription(),
                              "roleAssignmentId": assignment, "roleDefinitionId": self.who.role.id.replace('-', ""),
                              "principalId": self.who.object_id.replace('-', ""), "principalType": self.who.kind }
            },
            "claims": self.who.claims
        });
        let record = |time: String, result: &str, signature: String, duration: i64, properties: Value| {
            let mut record = json!({
                "time": time,
                "resourceId": self.resource.to_ascii_uppercase(),
                "operationName": self.name.to_ascii_uppercase(),
                "category": "Administrative",
                "resultType": result,
                "resultSignature": signature,
                "durationMs": duration,
                "correlationId": correlation,
                "identity": identity,
                "level": "Information",
                "location": "global",
                "properties": properties
            });
            if let Some(ip) = self.who.ip {
                record["callerIpAddress"] = ip.into();
            }
            record
        };
        let common = json!({ "eventCategory": "Administrative", "entity": self.resource, "message": self.name,
                             "hierarchy": hierarchy });
        let mut started = common.clone();
        if let Some(request) = &self.request {
            started["requestbody"] = request.to_string().into();
        }
        const NANOS: i64 = 1_000_000_000;
        let begun = self.time * NANOS + i64::from(day.nanos());
        let at = |nanos: i64| ts_fraction(nanos / NANOS, (nanos % NANOS) as u32, 7);
        out.push(record(at(begun), "Start", "Started.".into(), 0, started));
        let mut succeeded = common;
        succeeded["statusCode"] = self.status.into();
        succeeded["serviceRequestId"] = day.uuid().into();
        if let Some(response) = &self.response {
            succeeded["responseBody"] = response.to_string().into();
        }
        let done = at(begun + duration * 1_000_000);
        out.push(record(done, "Success", format!("Succeeded.{}", self.status), duration, succeeded));
    }
}

/// A role assignment: `role` for `principal` (of `kind`) at `scope`, made by `by`.
struct Assignment<'a> {
    id: &'a str,
    role: &'a str,
    principal: &'a str,
    kind: &'a str,
    scope: &'a str,
    by: &'a str,
}

impl Assignment<'_> {
    fn resource(&self) -> String {
        format!("{}/providers/Microsoft.Authorization/roleAssignments/{}", self.scope, self.id)
    }

    /// Its creation at `t` by `who`: the request's body, and the response's.
    fn emit(&self, day: &mut Day, out: &mut Vec<Value>, who: &Caller, t: i64) {
        let definition =
            format!("{}/providers/Microsoft.Authorization/roleDefinitions/{}", subscription(), self.role);
        let request = json!({ "Id": self.id, "Properties": {
            "PrincipalId": self.principal, "PrincipalType": self.kind, "RoleDefinitionId": definition,
            "Scope": self.scope, "Condition": null, "ConditionVersion": null } });
        let created = ts_fraction(t + 1, day.nanos(), 7);
        let response = json!({
            "properties": { "roleDefinitionId": definition, "principalId": self.principal,
                            "principalType": self.kind, "scope": self.scope, "condition": null,
                            "conditionVersion": null, "createdOn": created, "updatedOn": created,
                            "createdBy": null, "updatedBy": self.by,
                            "delegatedManagedIdentityResourceId": null, "description": null },
            "id": self.resource(),
            "type": "Microsoft.Authorization/roleAssignments", "name": self.id
        });
        Operation::new(who, t, "Microsoft.Authorization/roleAssignments/write", self.resource())
            .creates(request, response)
            .emit(day, out);
    }
}

/// The subscription's records of the day, in time order.
pub fn records(day: &mut Day) -> Vec<Value> {
    let mut out = Vec::new();
    story(day, &mut out);
    automation(day, &mut out);
    deployments(day, &mut out);
    admin(day, &mut out);
    out.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    out
}

/// Story 3, step 2: Owner of the subscription for an outside guest.
fn story(day: &mut Day, out: &mut Vec<Value>) {
    let t = at(19, 5, 41);
    let contractor = user(day, t, &CONTRACTOR_USER);
    let scope = subscription();
    let owner = Assignment {
        id: ASSIGNMENT,
        role: OWNER_ROLE,
        principal: GUEST,
        kind: "User",
        scope: &scope,
        by: CONTRACTOR_ID,
    };
    owner.emit(day, out, &contractor, t);
}

/// The automation identity: storage keys for the backup job every four hours, the build
/// machines started in the morning and deallocated in the evening.
fn automation(day: &mut Day, out: &mut Vec<Value>) {
    let mirid = in_group("ops", &format!("Microsoft.ManagedIdentity/userAssignedIdentities/{AUTOMATION}"));
    for hour in (0..24).step_by(4) {
        let t = at(hour, 5, day.below(40));
        let robot = app(day, t, AUTOMATION_CLIENT, AUTOMATION_ID, Some(mirid.clone()), &KEY_OPERATOR, None);
        let account = in_group("ops", &format!("Microsoft.Storage/storageAccounts/{BACKUPS}"));
        Operation::new(&robot, t, "Microsoft.Storage/storageAccounts/listKeys/action", account)
            .emit(day, out);
    }
    for (hour, name) in [
        (7, "Microsoft.Compute/virtualMachines/start/action"),
        (19, "Microsoft.Compute/virtualMachines/deallocate/action"),
    ] {
        let t = at(hour, 0, 12 + day.below(20));
        let robot = app(day, t, AUTOMATION_CLIENT, AUTOMATION_ID, Some(mirid.clone()), &VM_CONTRIBUTOR, None);
        for (k, machine) in BUILD_MACHINES.into_iter().enumerate() {
            let vm = in_group("dev-vms", &format!("Microsoft.Compute/virtualMachines/{machine}"));
            Operation::new(&robot, t + 2 * k as i64, name, vm).emit(day, out);
        }
    }
}

/// CI deploys the customer portal's template twice.
fn deployments(day: &mut Day, out: &mut Vec<Value>) {
    for t in [at(10, 20, 14), at(14, 51, 3)] {
        let ci = app(day, t, DEPLOYER_CLIENT, DEPLOYER_ID, None, &CONTRIBUTOR, Some(GITHUB_RUNNER));
        let deployment = in_group(
            "web-prod",
            &format!("Microsoft.Resources/deployments/portal-{}", day.rid("", 8, b"0123456789")),
        );
        Operation::new(&ci, t, "Microsoft.Resources/deployments/validate/action", deployment.clone())
            .emit(day, out);
        Operation::new(&ci, t + 4, "Microsoft.Resources/deployments/write", deployment).emit(day, out);
        let site = in_group("web-prod", "Microsoft.Web/sites/acme-portal");
        Operation::new(&ci, t + 31, "Microsoft.Web/sites/write", site).emit(day, out);
    }
}

/// The platform admin, signed in with MFA: Reader on the ops group for the automation
/// identity, and a bigger build machine.
fn admin(day: &mut Day, out: &mut Vec<Value>) {
    let t = at(11, 15, 20);
    let admin = user(day, t, &ADMIN_USER);
    let scope = format!("{}/resourceGroups/ops", subscription());
    let id = day.uuid();
    let reader = Assignment {
        id: &id,
        role: READER_ROLE,
        principal: AUTOMATION_ID,
        kind: "ServicePrincipal",
        scope: &scope,
        by: ADMIN_ID,
    };
    reader.emit(day, out, &admin, t);
    let t = at(15, 32, 8);
    let admin = user(day, t, &ADMIN_USER);
    let vm = in_group("dev-vms", "Microsoft.Compute/virtualMachines/dev-build-02");
    Operation::new(&admin, t, "Microsoft.Compute/virtualMachines/write", vm).emit(day, out);
}
