//! User agents as the tool that made the call: its product token (`aws-cli`, `boto3`,
//! `aws-sdk-go-v2`, `mozilla`), without versions and platform details, which change with every
//! upgrade while the tool stays the same.

/// The tool of a user agent; `None` for no user agent, and for AWS acting for itself or for
/// the console (`AWS Internal`, `cloudformation.amazonaws.com`): those say nothing about who
/// holds the key.
pub fn family(user_agent: Option<&str>) -> Option<String> {
    let ua = user_agent?.trim().trim_start_matches('[').trim();
    if ua.is_empty() || ua.eq_ignore_ascii_case("AWS Internal") {
        return None;
    }
    let token = ua.split(['/', ' ', '(', ']', ',']).next().unwrap_or(ua);
    if token.is_empty() || token.ends_with(".amazonaws.com") {
        return None;
    }
    Some(token.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn the_tool_without_its_version() {
        let cli = "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.11.10-amd64 md/arch#x86_64";
        assert_eq!(family(Some(cli)).as_deref(), Some("aws-cli"));
        assert_eq!(family(Some("[aws-cli/1.18.69 Python/3.8]")).as_deref(), Some("aws-cli"));
        assert_eq!(family(Some("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0")).as_deref(), Some("boto3"));
        assert_eq!(family(Some("aws-sdk-go-v2/1.30.3 ua/2.1 os/linux")).as_deref(), Some("aws-sdk-go-v2"));
        assert_eq!(family(Some("Mozilla/5.0 (X11; Linux x86_64)")).as_deref(), Some("mozilla"));
        assert_eq!(family(Some("Terraform")).as_deref(), Some("terraform"));
        assert_eq!(family(Some("AWS Internal")), None);
        assert_eq!(family(Some("cloudformation.amazonaws.com")), None);
        assert_eq!(family(Some("  ")), None);
        assert_eq!(family(None), None);
    }
}
