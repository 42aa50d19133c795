//! The fields a condition or an output can name, and their values on an event: the
//! normalized model ([`model`]), raw fields by JSONPath or JSON pointer ([`json`]), and the
//! fields of Falco's CloudTrail ([`cloudtrail`]), Kubernetes audit ([`k8s`]) and GCP audit
//! ([`gcp`]) plugins, each mapped onto the model or onto the raw paths that plugin reads.
//!
//! Every raw field reads paths the host projects once per event; the record is never parsed
//! whole (list fields parse only the array projected for them, once per event).
//! List fields (all containers' images, a user's groups) give one value per item, as Falco's
//! list fields do; a `[N]` index picks one item and makes the field single-valued.

pub mod cloudtrail;
pub mod derived;
pub mod each;
pub mod gcp;
pub mod json;
pub mod k8s;
pub mod model;

use std::borrow::Cow;

use trailhound_sdk::Event;

pub use derived::Derived;
pub use each::Each;
pub use model::Model;

/// A field a rule reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Model(Model),
    /// A raw field the host projects, by JSONPath: a string as-is, anything else as JSON text.
    Path(String),
    /// A list field: one value for each item of an array the host projects.
    Each(Each),
    /// A value computed from several projected paths or from the model.
    Derived(Derived),
    /// The whole raw record as JSON text (Falco's `jevt.obj`).
    Record,
}

impl Field {
    /// The field a name means, with its argument if it takes one (`ka.uri.param[command]`,
    /// `jevt.value[/eventName]`, `ka.req.pod.containers.image[0]`).
    ///
    /// # Errors
    /// `unknown field 'x'`, or what is wrong with the argument.
    pub fn parse(name: &str) -> Result<Field, String> {
        if name.starts_with('$') {
            return Ok(Field::Path(name.to_string()));
        }
        let Some((base, rest)) = name.split_once('[') else { return Field::plain(name) };
        let arg = rest.strip_suffix(']').ok_or_else(|| format!("field '{name}': unterminated '['"))?;
        let field = match base {
            "jevt.value" | "json.value" => {
                return json::pointer_to_path(arg).map(Field::Path).ok_or_else(|| {
                    format!("field '{name}': '{arg}' is not a JSON pointer (it starts with '/')")
                })
            }
            _ => cloudtrail::with_arg(base, arg).or_else(|| k8s::with_arg(base, arg)).transpose()?,
        };
        match field {
            Some(field) => Ok(field),
            None if Field::plain(base).is_ok() => {
                Err(format!("field '{base}' takes no argument, found '{name}'"))
            }
            None => Err(format!("unknown field '{name}'")),
        }
    }

    /// The field a name without an argument means.
    fn plain(name: &str) -> Result<Field, String> {
        match name {
            "jevt.value" | "json.value" => Err(format!("field '{name}' needs a JSON pointer: {name}[/a/b]")),
            _ if k8s::needs_arg(name) => Err(format!("field '{name}' needs an argument: {name}[...]")),
            "jevt.obj" => Ok(Field::Record),
            _ => Model::parse(name)
                .map(Field::Model)
                .or_else(|| cloudtrail::field(name))
                .or_else(|| k8s::field(name))
                .or_else(|| gcp::field(name))
                .ok_or_else(|| format!("unknown field '{name}'")),
        }
    }

    /// The JSONPaths the host must project for this field.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Field::Model(_) | Field::Record => Vec::new(),
            Field::Path(path) => vec![path],
            Field::Each(each) => each.paths(),
            Field::Derived(derived) => derived.paths(),
        }
    }

    /// Whether the field needs the raw record.
    pub fn wants_raw(&self) -> bool {
        matches!(self, Field::Record)
    }

    /// Whether the field has one value per item of a list.
    pub fn is_list(&self) -> bool {
        match self {
            Field::Each(each) => each.is_list(),
            Field::Derived(derived) => derived.is_list(),
            _ => false,
        }
    }

    /// Whether its values are numbers (compared as numbers by `=` too).
    pub fn numeric(&self) -> bool {
        match self {
            Field::Model(model) => model.numeric(),
            Field::Derived(derived) => derived.numeric(),
            _ => false,
        }
    }

    /// The field's values on the event: none when it has none (an empty text counts as none),
    /// one for a single-valued field, one per item for a list field.
    pub fn values<'a>(&self, event: &Event<'a>) -> Vec<Cow<'a, str>> {
        match self {
            Field::Model(_) | Field::Path(_) | Field::Record => self.value(event).into_iter().collect(),
            Field::Each(each) => each.values(event),
            Field::Derived(derived) => derived.values(event),
        }
    }

    /// The value of a single-valued field (the first of a list field's), without building a
    /// list: what most comparisons read.
    pub fn value<'a>(&self, event: &Event<'a>) -> Option<Cow<'a, str>> {
        match self {
            Field::Model(model) => model.value(event),
            Field::Path(path) => event.field(path).filter(|v| !v.is_empty()).map(Cow::Borrowed),
            Field::Record => event.raw().map(Cow::Borrowed),
            Field::Each(_) | Field::Derived(_) => self.values(event).into_iter().next(),
        }
    }

    /// The field as an output shows it: a list as `(a,b)`, as Falco prints list fields.
    pub fn render(&self, event: &Event<'_>) -> Option<String> {
        let values = self.values(event);
        match values.as_slice() {
            [] => None,
            [one] if !self.is_list() => Some(one.to_string()),
            many => Some(format!("({})", many.join(","))),
        }
    }
}

/// A `[N]` argument: the index of one item of a list field.
fn index(name: &str, arg: &str) -> Result<usize, String> {
    arg.parse().map_err(|_| format!("field '{name}' takes an index [N], found '[{arg}]'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_model_or_a_path() {
        assert_eq!(Field::parse("ct.name"), Ok(Field::Model(Model::Action)));
        assert_eq!(Field::parse("actor.id"), Ok(Field::Model(Model::ActorId)));
        assert_eq!(Field::parse("s3.bucket"), Ok(Field::Path("$.requestParameters.bucketName".into())));
        assert_eq!(Field::parse("jevt.value[/eventName]"), Ok(Field::Path("$.eventName".into())));
        assert_eq!(
            Field::parse("json.value[/requestParameters/x-amz-acl/0]"),
            Ok(Field::Path("$.requestParameters['x-amz-acl'][0]".into()))
        );
        assert_eq!(Field::parse("$.a.b"), Ok(Field::Path("$.a.b".into())));
        assert_eq!(Field::parse("ka.verb"), Ok(Field::Path("$.verb".into())));
        assert_eq!(Field::parse("gcp.methodName"), Ok(Field::Model(Model::Action)));
        assert_eq!(
            Field::parse("gcp.user"),
            Ok(Field::Path("$.protoPayload.authenticationInfo.principalEmail".into()))
        );
        assert_eq!(Field::parse("ct.nope"), Err("unknown field 'ct.nope'".into()));
    }

    #[test]
    fn arguments_are_parsed_and_checked() {
        assert!(Field::parse("ka.uri.param[command]").is_ok());
        assert!(Field::parse("ka.req.container.host_port[1]").is_ok());
        assert!(!Field::parse("ka.req.container.privileged[0]").unwrap().is_list());
        assert!(Field::parse("ka.req.pod.containers.image").unwrap().is_list());
        assert!(!Field::parse("ka.req.pod.containers.image[0]").unwrap().is_list());
        assert_eq!(
            Field::parse("ka.req.pod.containers.image[first]"),
            Err("field 'ka.req.pod.containers.image' takes an index [N], found '[first]'".into())
        );
        assert_eq!(
            Field::parse("ka.verb[0]"),
            Err("field 'ka.verb' takes no argument, found 'ka.verb[0]'".into())
        );
        assert!(Field::parse("json.value[eventName]").unwrap_err().contains("not a JSON pointer"));
        assert!(Field::parse("jevt.value").unwrap_err().contains("needs a JSON pointer"));
        assert!(Field::parse("ka.uri.param").unwrap_err().contains("needs"));
    }
}
