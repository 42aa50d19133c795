//! Story 2, a public bucket loses its encryption (marketing, 12:58–15:41): a console user
//! without MFA creates a bucket with a public-read ACL, encrypts it, deletes its public access
//! block, grants `AllUsers` read, and later deletes its encryption configuration.

use serde_json::{json, Value};

use super::day::{at, Call, Day, LOWER_HEX};
use super::principals::{console_login, iam_user, CONSOLE_UA};
use super::{EXPOSED_BUCKET, EXPOSER, MARKETING};

const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub fn story(day: &mut Day) {
    let who = iam_user(day, MARKETING, EXPOSER, "192.0.2.77", CONSOLE_UA, Some(false));
    let region = "eu-west-1";
    let host = format!("{EXPOSED_BUCKET}.s3.{region}.amazonaws.com");
    let bucket = json!([{ "accountId": MARKETING, "type": "AWS::S3::Bucket",
                          "ARN": format!("arn:aws:s3:::{EXPOSED_BUCKET}") }]);
    let s3 = |day: &mut Day, t: i64, name: &str, request: Value, read_only: bool| {
        let data = day.s3_extra();
        Call::new(&who, t, "s3.amazonaws.com", name)
            .region(region)
            .request(request)
            .read_only(read_only)
            .resources(bucket.clone())
            .extra("additionalEventData", data)
            .emit(day);
    };

    console_login(day, &who, at(12, 58, 40), false, false);
    s3(
        day,
        at(13, 2, 4),
        "CreateBucket",
        json!({
            "CreateBucketConfiguration": { "LocationConstraint": region, "xmlns": XMLNS },
            "bucketName": EXPOSED_BUCKET, "Host": host,
            "x-amz-acl": ["public-read"], "x-amz-object-ownership": ["ObjectWriter"]
        }),
        false,
    );
    s3(
        day,
        at(13, 2, 9),
        "PutBucketEncryption",
        json!({
            "bucketName": EXPOSED_BUCKET, "Host": host, "encryption": "",
            "ServerSideEncryptionConfiguration": { "xmlns": XMLNS, "Rule": {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": format!("arn:aws:kms:{region}:{MARKETING}:alias/marketing-data")
                },
                "BucketKeyEnabled": true
            } }
        }),
        false,
    );
    s3(
        day,
        at(13, 5, 51),
        "DeletePublicAccessBlock",
        json!({ "bucketName": EXPOSED_BUCKET, "Host": host, "publicAccessBlock": "" }),
        false,
    );
    let owner = day.rid("", 64, LOWER_HEX);
    s3(
        day,
        at(13, 6, 30),
        "PutBucketAcl",
        json!({
            "bucketName": EXPOSED_BUCKET, "Host": host, "acl": "",
            "AccessControlPolicy": {
                "AccessControlList": { "Grant": [
                    { "Grantee": { "xsi:type": "CanonicalUser", "xmlns:xsi": XSI, "ID": owner }, "Permission": "FULL_CONTROL" },
                    { "Grantee": { "xsi:type": "Group", "xmlns:xsi": XSI, "URI": "http://acs.amazonaws.com/groups/global/AllUsers" },
                      "Permission": "READ" }
                ] },
                "xmlns": XMLNS, "Owner": { "ID": owner }
            }
        }),
        false,
    );
    s3(
        day,
        at(13, 7, 2),
        "GetBucketAcl",
        json!({ "bucketName": EXPOSED_BUCKET, "Host": host, "acl": "" }),
        true,
    );
    // 15:40 the KMS key "slowed down the CDN": encryption configuration deleted.
    s3(
        day,
        at(15, 40, 18),
        "DeleteBucketEncryption",
        json!({ "bucketName": EXPOSED_BUCKET, "Host": host, "encryption": "" }),
        false,
    );
    s3(
        day,
        at(15, 41, 0),
        "GetBucketEncryption",
        json!({ "bucketName": EXPOSED_BUCKET, "Host": host, "encryption": "" }),
        true,
    );
}
