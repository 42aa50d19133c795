//! Which API verbs change nothing, for providers whose records do not say whether a call was
//! read-only (GCP's `methodName`, Azure's `operationName`): the verb is what decides.

/// The verbs of calls that only read, lower case. Matched against the start of a verb, so
/// `getIamPolicy`, `ListSinks`, `aggregatedList`, `batchGet` and `GetBlobProperties` are
/// all reads.
const READ_VERBS: &[&str] = &[
    "get",
    "list",
    "read",
    "search",
    "lookup",
    "query",
    "watch",
    "view",
    "describe",
    "check",
    "test",
    "aggregated",
    "batchget",
    "fetch",
    "head",
];

/// Whether `verb` (the verb of an API method, in any case) only reads.
pub fn reads_only(verb: &str) -> bool {
    READ_VERBS.iter().any(|read| verb.get(..read.len()).is_some_and(|start| start.eq_ignore_ascii_case(read)))
}

#[cfg(test)]
mod tests {
    use super::reads_only;

    #[test]
    fn reads_are_told_from_writes_by_their_verb() {
        for verb in
            ["get", "getIamPolicy", "ListSinks", "aggregatedList", "read", "GetBlob", "testIamPermissions"]
        {
            assert!(reads_only(verb), "{verb}");
        }
        for verb in
            ["insert", "CreateServiceAccountKey", "setIamPolicy", "write", "delete", "action", "PutBlob", "g"]
        {
            assert!(!reads_only(verb), "{verb}");
        }
    }
}
