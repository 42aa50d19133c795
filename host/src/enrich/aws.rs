//! The join between a CloudTrail record and the AWS tables: the IAM service prefix of an
//! `eventSource`, and the event name without the dated API version some services append.
//! The names CloudTrail logs that are not IAM actions at all (S3's `ListBuckets`, the sign-in
//! events) are joined in the generated table itself.

/// The IAM service prefix of a CloudTrail `eventSource` (`iam.amazonaws.com` → `iam`).
pub fn iam_prefix(event_source: &str) -> &str {
    let host = event_source.strip_suffix(".amazonaws.com").unwrap_or(event_source);
    // Endpoints whose name is not the prefix their actions are authorized under.
    match host {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        "tagging" => "tag",
        "cloudcontrolapi" => "cloudformation",
        "models.lex" | "runtime.lex" => "lex",
        "api.sagemaker" | "runtime.sagemaker" => "sagemaker",
        "bedrock-runtime" | "bedrock-agent" | "bedrock-agent-runtime" => "bedrock",
        "servicecatalog-appregistry" => "servicecatalog",
        "opensearch" => "es",
        _ => host,
    }
}

/// An event name without the API version Lambda (and a few older services) append to it:
/// `CreateFunction20150331` → `CreateFunction`, `UpdateFunctionConfiguration20150331v2` →
/// `UpdateFunctionConfiguration`. A name with no such suffix is returned as it is.
pub fn undated(action: &str) -> &str {
    let bytes = action.as_bytes();
    let trailing_digits = |end: usize| bytes[..end].iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let mut end = bytes.len();
    let revision = trailing_digits(end);
    if revision > 0 && end > revision && bytes[end - revision - 1] == b'v' {
        end -= revision + 1;
    }
    const DATE: usize = 8; // yyyymmdd
    if trailing_digits(end) == DATE && end > DATE {
        &action[..end - DATE]
    } else {
        action
    }
}

#[cfg(test)]
mod tests {
    use super::{iam_prefix, undated};

    #[test]
    fn event_sources_map_to_iam_prefixes() {
        assert_eq!(iam_prefix("iam.amazonaws.com"), "iam");
        assert_eq!(iam_prefix("monitoring.amazonaws.com"), "cloudwatch");
        assert_eq!(iam_prefix("email.amazonaws.com"), "ses");
        assert_eq!(iam_prefix("ec2-instance-connect.amazonaws.com"), "ec2-instance-connect");
        assert_eq!(iam_prefix("s3"), "s3");
    }

    #[test]
    fn dated_suffixes_are_stripped() {
        assert_eq!(undated("CreateFunction20150331"), "CreateFunction");
        assert_eq!(undated("UpdateFunctionConfiguration20150331v2"), "UpdateFunctionConfiguration");
        assert_eq!(undated("ListTags20170331"), "ListTags");
        assert_eq!(undated("GetObject"), "GetObject");
        assert_eq!(undated("ListObjectsV2"), "ListObjectsV2");
        assert_eq!(undated("Foo2015033v2"), "Foo2015033v2");
        assert_eq!(undated("20150331"), "20150331");
        assert_eq!(undated(""), "");
    }
}
