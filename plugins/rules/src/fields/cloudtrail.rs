//! The fields of Falco's CloudTrail plugin (`ct.*`, `s3.*`, `ec2.*`, `ecr.*`, `iam.*`) that
//! are not the model's: each the raw field that plugin reads, or computed as it computes it.

use super::derived::{Count, Derived};
use super::{index, Field};

/// Fields that read one raw field, and the JSONPath of each.
const PATHS: &[(&str, &str)] = &[
    ("ct.time", "$.eventTime"),
    ("ct.user.principalid", "$.userIdentity.principalId"),
    ("ct.request", "$.requestParameters"),
    ("ct.request.availabilityzone", "$.requestParameters.availabilityZone"),
    ("ct.request.cluster", "$.requestParameters.cluster"),
    ("ct.request.documentname", "$.requestParameters.documentName"),
    ("ct.request.functionname", "$.requestParameters.functionName"),
    ("ct.request.groupname", "$.requestParameters.groupName"),
    ("ct.request.host", "$.requestParameters.Host"),
    ("ct.request.name", "$.requestParameters.name"),
    ("ct.request.policy", "$.requestParameters.policy"),
    ("ct.request.reason", "$.requestParameters.reason"),
    ("ct.request.serialnumber", "$.requestParameters.serialNumber"),
    ("ct.request.servicename", "$.requestParameters.serviceName"),
    ("ct.request.subnetid", "$.requestParameters.subnetId"),
    ("ct.request.target", "$.requestParameters.target"),
    ("ct.request.taskdefinition", "$.requestParameters.taskDefinition"),
    ("ct.request.username", "$.requestParameters.userName"),
    ("ct.response", "$.responseElements"),
    ("ct.response.reservationid", "$.responseElements.reservationId"),
    ("ct.additionaleventdata", "$.additionalEventData"),
    ("ct.requestid", "$.requestID"),
    ("ct.eventtype", "$.eventType"),
    ("ct.apiversion", "$.apiVersion"),
    ("ct.recipientaccountid", "$.recipientAccountId"),
    ("ct.serviceeventdetails", "$.serviceEventDetails"),
    ("ct.sharedeventid", "$.sharedEventID"),
    ("ct.vpcendpointid", "$.vpcEndpointId"),
    ("ct.eventcategory", "$.eventCategory"),
    ("ct.sessioncredentialfromconsole", "$.sessionCredentialFromConsole"),
    ("ct.edgedevicedetails", "$.edgeDeviceDetails"),
    ("ecr.repository", "$.requestParameters.repositoryName"),
    ("ecr.imagetag", "$.requestParameters.imageTag"),
    ("iam.role", "$.requestParameters.roleName"),
    ("iam.policy", "$.requestParameters.policyName"),
    ("s3.bucket", "$.requestParameters.bucketName"),
    ("s3.key", "$.requestParameters.key"),
];

/// The `ct.addendum.*` and `ct.tlsdetails.*` fields: the key each reads in its object.
const NESTED: &[(&str, &str)] = &[
    ("ct.addendum.reason", "$.addendum.reason"),
    ("ct.addendum.updatedfields", "$.addendum.updatedFields"),
    ("ct.addendum.originalrequestid", "$.addendum.originalRequestID"),
    ("ct.addendum.originaleventid", "$.addendum.originalEventID"),
    ("ct.tlsdetails.tlsversion", "$.tlsDetails.tlsVersion"),
    ("ct.tlsdetails.ciphersuite", "$.tlsDetails.cipherSuite"),
    ("ct.tlsdetails.clientprovidedhostheader", "$.tlsDetails.clientProvidedHostHeader"),
];

/// The field a name without an argument means, if it is one of this plugin's.
pub fn field(name: &str) -> Option<Field> {
    if let Some((_, path)) = PATHS.iter().chain(NESTED).find(|(n, _)| *n == name) {
        return Some(Field::Path((*path).to_string()));
    }
    Some(Field::Derived(match name {
        // The account of the identity, or the recipient's when the identity names none.
        "ct.user.accountid" => Derived::FirstOf(vec!["$.userIdentity.accountId", "$.recipientAccountId"]),
        // Falco reads `subnetId`; `CreateSubnet` answers with `subnet.subnetId`.
        "ct.response.subnetid" => {
            Derived::FirstOf(vec!["$.responseElements.subnetId", "$.responseElements.subnet.subnetId"])
        }
        "ct.originaluser" => Derived::CtOriginalUser,
        "ct.info" => Derived::CtInfo,
        "ct.resources" => Derived::CtResources,
        "s3.uri" => Derived::S3Uri,
        "s3.bytes" => Derived::S3Bytes { inbound: true, outbound: true },
        "s3.bytes.in" => Derived::S3Bytes { inbound: true, outbound: false },
        "s3.bytes.out" => Derived::S3Bytes { inbound: false, outbound: true },
        "s3.cnt.get" => Derived::S3Count(Count::Get),
        "s3.cnt.put" => Derived::S3Count(Count::Put),
        "s3.cnt.other" => Derived::S3Count(Count::Other),
        "ec2.name" => Derived::Ec2Name,
        "ec2.imageid" => Derived::Ec2ImageIds(Some(0)),
        "ec2.imageids" => Derived::Ec2ImageIds(None),
        _ => return None,
    }))
}

/// The field a name with an argument means (`ec2.imageids[1]`), if it is one of this plugin's.
pub fn with_arg(name: &str, arg: &str) -> Option<Result<Field, String>> {
    (name == "ec2.imageids").then(|| index(name, arg).map(|i| Field::Derived(Derived::Ec2ImageIds(Some(i)))))
}
