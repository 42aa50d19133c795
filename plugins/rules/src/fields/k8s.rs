//! The fields of Falco's Kubernetes audit plugin (`ka.*`), each the raw field of the audit
//! event that plugin reads; the list fields over the request's containers, volumes, rules
//! and subjects read each item of the array. (`k8s.ns.name` and `k8s.pod.name` are the
//! model's.)

use super::derived::Derived;
use super::each::{Each, Shape};
use super::{index, Field};

/// Fields that read one raw field, and the JSONPath of each.
const PATHS: &[(&str, &str)] = &[
    ("ka.auditid", "$.auditID"),
    ("ka.stage", "$.stage"),
    ("ka.auth.decision", "$.annotations['authorization.k8s.io/decision']"),
    ("ka.auth.reason", "$.annotations['authorization.k8s.io/reason']"),
    ("ka.auth.openshift.decision", "$.annotations['authentication.openshift.io/decision']"),
    ("ka.auth.openshift.username", "$.annotations['authentication.openshift.io/username']"),
    (
        "ka.validations.admission.policy.failure",
        "$.annotations['validation.policy.admission.k8s.io/validation_failure']",
    ),
    ("ka.security.pod.violations", "$.annotations['pod-security.kubernetes.io/audit-violations']"),
    ("ka.cluster.name", "$.annotations.cluster_name"),
    ("ka.user.name", "$.user.username"),
    ("ka.impuser.name", "$.impersonatedUser.username"),
    ("ka.verb", "$.verb"),
    ("ka.uri", "$.requestURI"),
    ("ka.target.name", "$.objectRef.name"),
    ("ka.target.namespace", "$.objectRef.namespace"),
    ("ka.target.resource", "$.objectRef.resource"),
    ("ka.target.subresource", "$.objectRef.subresource"),
    ("ka.req.binding.role", "$.requestObject.roleRef.name"),
    ("ka.req.configmap.name", "$.objectRef.name"),
    ("ka.req.configmap.obj", "$.requestObject.data"),
    ("ka.req.pod.host_ipc", "$.requestObject.spec.hostIPC"),
    ("ka.req.pod.host_network", "$.requestObject.spec.hostNetwork"),
    ("ka.req.container.host_network", "$.requestObject.spec.hostNetwork"),
    ("ka.req.container.host_ipc", "$.requestObject.spec.hostIPC"),
    ("ka.req.container.host_pid", "$.requestObject.spec.hostPID"),
    ("ka.req.sec_ctx.fs_group", "$.requestObject.spec.securityContext.fsGroup"),
    ("ka.req.pod.host_pid", "$.requestObject.spec.hostPID"),
    ("ka.req.pod.run_as_user", "$.requestObject.spec.securityContext.runAsUser"),
    ("ka.req.pod.run_as_group", "$.requestObject.spec.securityContext.runAsGroup"),
    ("ka.req.pod.fs_group", "$.requestObject.spec.securityContext.fsGroup"),
    ("ka.req.service.type", "$.requestObject.spec.type"),
    ("ka.resp.name", "$.responseObject.metadata.name"),
    ("ka.response.code", "$.responseStatus.code"),
    ("ka.response.reason", "$.responseStatus.reason"),
    ("ka.useragent", "$.userAgent"),
];

const SPEC: &str = "$.requestObject.spec";
const RULES: &str = "$.requestObject.rules";
const SUBJECTS: &str = "$.requestObject.subjects";
const VOLUMES: &str = "$.requestObject.spec.volumes";

/// The container lists of a pod spec, as Falco's field names spell them.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The field a name without an argument means, if it is one of this plugin's.
pub fn field(name: &str) -> Option<Field> {
    if let Some((_, path)) = PATHS.iter().find(|(n, _)| *n == name) {
        return Some(Field::Path((*path).to_string()));
    }
    list(name).or_else(|| {
        Some(match name {
            "ka.target.pod.name" => Field::Derived(Derived::TargetPodName),
            // Deprecated in Falco for the `containers` list fields: the first container only.
            "ka.req.container.image" => at(container("containers", "image")?, 0),
            "ka.req.container.image.repository" => at(container("containers", "image.repository")?, 0),
            // Whether any container is: `true` or `false`.
            "ka.req.container.privileged" => any_container("privileged"),
            "ka.req.container.allow_privilege_escalation" => any_container("allowPrivilegeEscalation"),
            // Older names (Falco's built-in Kubernetes audit support) of the list fields.
            "ka.req.container.host_port" => container("containers", "host_port")?,
            "ka.req.container.run_as_user" => container("containers", "eff_run_as_user")?,
            "ka.req.container.run_as_group" => container("containers", "eff_run_as_group")?,
            "ka.req.container.proc_mount" => container("containers", "proc_mount")?,
            "ka.req.sec_ctx.added_capabilities" => container("containers", "add_capabilities")?,
            "ka.req.sec_ctx.supplemental_groups" => list("ka.req.pod.supplemental_groups")?,
            "ka.req.volume.flexvolume_drivers" => list("ka.req.pod.volumes.flexvolume_driver")?,
            "ka.req.volume_types" => list("ka.req.pod.volumes.volume_type")?,
            _ => return None,
        })
    })
}

/// The field a name with an argument means, if it is one of this plugin's: an index into a
/// list field, the query parameter of `ka.uri.param[name]`, or the path (a prefix when it ends
/// in `*`) of `ka.req.volume.hostpath[/etc*]`.
pub fn with_arg(name: &str, arg: &str) -> Option<Result<Field, String>> {
    match name {
        "ka.uri.param" => Some(Ok(Field::Derived(Derived::UriParam(arg.to_string())))),
        "ka.req.volume.hostpath" => {
            Some(Ok(Field::Each(Each::new(VOLUMES, &["hostPath", "path"], Shape::Uses(arg.to_string())))))
        }
        _ => match field(name)? {
            Field::Each(each)
                if !matches!(each.shape, Shape::SubjectNames(_) | Shape::NamespacedServiceAccounts) =>
            {
                Some(index(name, arg).map(|i| at(Field::Each(each), i)))
            }
            _ => None,
        },
    }
}

/// Whether `name` needs an argument (named in the error when it is given none).
pub fn needs_arg(name: &str) -> bool {
    matches!(name, "ka.uri.param" | "ka.req.volume.hostpath")
}

/// The list fields.
fn list(name: &str) -> Option<Field> {
    if let Some(field) = CONTAINER_LISTS
        .iter()
        .find_map(|l| name.strip_prefix(&format!("ka.req.pod.{l}.")).and_then(|f| container(l, f)))
    {
        return Some(field);
    }
    let each = |path: &str, keys: &[&'static str], shape| Some(Field::Each(Each::new(path, keys, shape)));
    match name {
        "ka.user.groups" => each("$.user.groups", &[], Shape::Value),
        "ka.sourceips" => each("$.sourceIPs", &[], Shape::Value),
        "ka.req.binding.subjects" => each(SUBJECTS, &[], Shape::Value),
        "ka.req.binding.subjects.user_names" => each(SUBJECTS, &[], Shape::SubjectNames("User")),
        "ka.req.binding.subjects.group_names" => each(SUBJECTS, &[], Shape::SubjectNames("Group")),
        "ka.req.binding.subjects.serviceaccount_names" => {
            each(SUBJECTS, &[], Shape::SubjectNames("ServiceAccount"))
        }
        "ka.req.binding.subjects.serviceaccount_ns_names" => {
            each(SUBJECTS, &[], Shape::NamespacedServiceAccounts)
        }
        "ka.req.role.rules" => each(RULES, &[], Shape::Value),
        "ka.req.role.rules.apiGroups" => each(RULES, &["apiGroups"], Shape::Flatten),
        "ka.req.role.rules.nonResourceURLs" => each(RULES, &["nonResourceURLs"], Shape::Flatten),
        "ka.req.role.rules.verbs" => each(RULES, &["verbs"], Shape::Flatten),
        "ka.req.role.rules.resources" => each(RULES, &["resources"], Shape::Flatten),
        "ka.req.pod.supplemental_groups" => {
            each("$.requestObject.spec.securityContext.supplementalGroups", &[], Shape::Value)
        }
        "ka.req.service.ports" => each("$.requestObject.spec.ports", &[], Shape::Value),
        "ka.req.pod.volumes.hostpath" => each(VOLUMES, &["hostPath", "path"], Shape::Value),
        "ka.req.pod.volumes.flexvolume_driver" => each(VOLUMES, &["flexVolume", "driver"], Shape::Value),
        "ka.req.pod.volumes.volume_type" => each(VOLUMES, &[], Shape::VolumeType),
        _ => None,
    }
}

/// Whether any of the pod's containers has this security context flag set.
fn any_container(flag: &'static str) -> Field {
    Field::Each(Each::new(
        &containers_path("containers"),
        &["securityContext", flag],
        Shape::Uses("true".into()),
    ))
}

fn containers_path(list: &str) -> String {
    format!("{SPEC}.{list}")
}

/// A per-container field of one of the pod's container lists.
fn container(list: &str, field: &str) -> Option<Field> {
    let (keys, shape): (&[&'static str], Shape) = match field {
        "name" => (&["name"], Shape::Value),
        "image" => (&["image"], Shape::Value),
        "image.repository" => (&["image"], Shape::Repository),
        "command" => (&["command"], Shape::Joined),
        "args" => (&["args"], Shape::Joined),
        "privileged" => (&["securityContext", "privileged"], Shape::Value),
        "allow_privilege_escalation" => (&["securityContext", "allowPrivilegeEscalation"], Shape::Value),
        "read_only_fs" => (&["securityContext", "readOnlyRootFilesystem"], Shape::Value),
        "run_as_user" => (&["securityContext", "runAsUser"], Shape::Value),
        "run_as_group" => (&["securityContext", "runAsGroup"], Shape::Value),
        "eff_run_as_user" => (
            &["securityContext", "runAsUser"],
            Shape::Effective("$.requestObject.spec.securityContext.runAsUser"),
        ),
        "eff_run_as_group" => (
            &["securityContext", "runAsGroup"],
            Shape::Effective("$.requestObject.spec.securityContext.runAsGroup"),
        ),
        "proc_mount" => (&["securityContext", "procMount"], Shape::Value),
        "add_capabilities" => (&["securityContext", "capabilities", "add"], Shape::Flatten),
        // Ephemeral containers have no ports.
        "host_port" if list != "ephemeralContainers" => (&["ports"], Shape::HostPort),
        _ => return None,
    };
    Some(Field::Each(Each::new(&containers_path(list), keys, shape)))
}

/// A list field narrowed to its item at `index`.
fn at(field: Field, index: usize) -> Field {
    match field {
        Field::Each(mut each) => {
            each.index = Some(index);
            Field::Each(each)
        }
        other => other,
    }
}
