//! Records whose keys an exporter folded to lower case (Athena, Security Lake and SIEM exports
//! turn `eventName` into `eventname`). Such a record is rare and read the slow way: parsed
//! whole, its keys given back their CloudTrail spelling, then read like any other record.

use serde_json::{Map, Value};

/// Every camel-cased key [`super::shape`] reads. Keys that are lower case already (`arn`,
/// `type`, `target`, ...) need no entry. A test checks this list against the shape.
const KEYS: &[&str] = &[
    "ConsoleLogin",
    "MFAUsed",
    "accessKeyId",
    "accountId",
    "additionalEventData",
    "awsRegion",
    "bucketName",
    "dBInstanceIdentifier",
    "dBSnapshotIdentifier",
    "detectorId",
    "digestStartTime",
    "errorCode",
    "errorMessage",
    "eventCategory",
    "eventID",
    "eventName",
    "eventSource",
    "eventTime",
    "insightDetails",
    "functionName",
    "groupId",
    "groupName",
    "imageId",
    "instanceId",
    "instancesSet",
    "invokedBy",
    "keyId",
    "managementEvent",
    "mfaAuthenticated",
    "onBehalfOf",
    "policyArn",
    "principalId",
    "readOnly",
    "recipientAccountId",
    "requestID",
    "requestParameters",
    "responseElements",
    "roleArn",
    "roleName",
    "secretId",
    "sessionContext",
    "sessionIssuer",
    "sharedEventID",
    "snapshotId",
    "sourceIPAddress",
    "sourceIdentity",
    "trailName",
    "userAgent",
    "userId",
    "userIdentity",
    "userName",
    "volumeId",
    "vpcId",
];

/// The record in `text` with its folded keys restored, when it is one whose keys were folded
/// (it has `eventname` but no `eventName`); `None` for any other text.
pub fn unfolded(text: &str) -> Option<Value> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    if object.contains_key("eventName") || !object.keys().any(|k| k.eq_ignore_ascii_case("eventName")) {
        return None;
    }
    restore(&mut value);
    Some(value)
}

fn restore(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let folded = std::mem::take(object);
            *object = folded
                .into_iter()
                .map(|(key, mut inner)| {
                    restore(&mut inner);
                    (canonical(&key).map_or(key, str::to_string), inner)
                })
                .collect::<Map<String, Value>>();
        }
        Value::Array(items) => items.iter_mut().for_each(restore),
        _ => {}
    }
}

fn canonical(key: &str) -> Option<&'static str> {
    KEYS.iter().copied().find(|k| k.eq_ignore_ascii_case(key) && *k != key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_camel_cased_key_of_the_shape_is_listed() {
        let shape = include_str!("shape.rs");
        for part in shape.split("rename = \"").skip(1) {
            let key = &part[..part.find('"').unwrap()];
            if key.chars().any(|c| c.is_ascii_uppercase()) && key != "ARN" {
                assert!(KEYS.contains(&key), "{key} is read by the shape but missing from fold::KEYS");
            }
        }
    }

    #[test]
    fn folded_keys_get_their_spelling_back_at_every_depth() {
        let text =
            r#"{"eventname":"AssumeRole","useridentity":{"sessioncontext":{"sessionissuer":{"arn":"x"}}}}"#;
        let value = unfolded(text).unwrap();
        assert_eq!(value["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"], "x");
        assert_eq!(value["eventName"], "AssumeRole");
        assert!(unfolded(r#"{"eventName":"AssumeRole"}"#).is_none());
    }
}
