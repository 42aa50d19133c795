//! List fields: one value for each item of an array the host projects whole (the request's
//! containers, a role's rules, a binding's subjects), read as Falco's Kubernetes audit plugin
//! reads them. The array is projected once, however many of its fields rules use.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;
use trailhound_sdk::Event;

/// A field read from each item of the array at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Each {
    pub path: String,
    /// The keys followed inside each item (`securityContext.privileged`); none: the item itself.
    pub keys: Vec<&'static str>,
    /// Only this item (`ka.req.pod.containers.image[0]`): the field is then single-valued.
    pub index: Option<usize>,
    pub shape: Shape,
}

/// What each item gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// The value at the keys.
    Value,
    /// The value at the keys is an array: each of its items is a value (a role rule's verbs).
    Flatten,
    /// The value at the keys is an array of words, joined with spaces (a container's command).
    Joined,
    /// The image without its tag or digest (`falcosecurity/falco`).
    Repository,
    /// Each port's `hostPort`, or its `containerPort` without one.
    HostPort,
    /// The volume's type: its keys other than `name` (`hostPath`, `configMap`).
    VolumeType,
    /// The names of the subjects of this kind (`User`, `Group`, `ServiceAccount`).
    SubjectNames(&'static str),
    /// `namespace:name` of each service account subject.
    NamespacedServiceAccounts,
    /// The value at the keys, or the pod's own at this path, or `0`: the id a container
    /// effectively runs as.
    Effective(&'static str),
    /// Whether any item's value is this path, or starts with it when it ends in `*`
    /// (`ka.req.volume.hostpath[/etc*]`): one `true` or `false`.
    Uses(String),
}

impl Each {
    pub fn new(path: &str, keys: &[&'static str], shape: Shape) -> Each {
        Each { path: path.to_string(), keys: keys.to_vec(), index: None, shape }
    }

    pub fn paths(&self) -> Vec<&str> {
        match &self.shape {
            Shape::Effective(pod) => vec![&self.path, pod],
            _ => vec![&self.path],
        }
    }

    pub fn is_list(&self) -> bool {
        self.index.is_none() && !matches!(self.shape, Shape::Uses(_))
    }

    pub fn values<'a>(&self, event: &Event<'a>) -> Vec<Cow<'a, str>> {
        let Some(items) = event.field(&self.path).and_then(|text| parsed(&self.path, text)) else {
            return Vec::new();
        };
        let chosen: Vec<&Value> = match self.index {
            Some(i) => items.get(i).into_iter().collect(),
            None => items.iter().collect(),
        };
        let at = |item| value_at(item, &self.keys);
        let mut out = Vec::new();
        for item in chosen {
            match &self.shape {
                Shape::Value | Shape::Uses(_) => out.extend(at(item).map(text)),
                Shape::Flatten => {
                    if let Some(Value::Array(values)) = at(item) {
                        out.extend(values.iter().filter(|v| !v.is_null()).map(text));
                    }
                }
                Shape::Joined => {
                    if let Some(Value::Array(words)) = at(item) {
                        out.push(words.iter().map(text).collect::<Vec<_>>().join(" "));
                    }
                }
                Shape::Repository => {
                    out.extend(at(item).map(text).map(|image| repository(&image).to_string()))
                }
                Shape::HostPort => {
                    if let Some(Value::Array(ports)) = at(item) {
                        out.extend(
                            ports
                                .iter()
                                .filter_map(|p| p.get("hostPort").or_else(|| p.get("containerPort")))
                                .map(text),
                        );
                    }
                }
                Shape::VolumeType => {
                    if let Some(Value::Object(volume)) = at(item) {
                        out.extend(volume.keys().filter(|k| *k != "name").cloned());
                    }
                }
                Shape::SubjectNames(kind) => {
                    if item.get("kind").and_then(Value::as_str) == Some(kind) {
                        out.extend(item.get("name").map(text));
                    }
                }
                Shape::NamespacedServiceAccounts => {
                    let field = |k: &str| item.get(k).and_then(Value::as_str);
                    if let (Some("ServiceAccount"), Some(ns), Some(name)) =
                        (field("kind"), field("namespace"), field("name"))
                    {
                        out.push(format!("{ns}:{name}"));
                    }
                }
                Shape::Effective(pod) => out.push(match at(item) {
                    Some(own) => text(own),
                    None => event.field(pod).unwrap_or("0").to_string(),
                }),
            }
        }
        if let Shape::Uses(wanted) = &self.shape {
            let used = out.iter().any(|path| match wanted.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == wanted,
            });
            return vec![Cow::Borrowed(if used { "true" } else { "false" })];
        }
        out.into_iter().filter(|v| !v.is_empty()).map(Cow::Owned).collect()
    }
}

/// A path, the text last projected for it, and the items of that text's array.
type Parsed = (String, String, Rc<Vec<Value>>);

thread_local! {
    /// The array last parsed for each path, with the text it was parsed from: an event's rules
    /// read the same array for many fields (a pod's containers for images, flags and mounts).
    static PARSED: RefCell<Vec<Parsed>> = const { RefCell::new(Vec::new()) };
}

/// The items of the array `text` projected for `path`, parsed once for all the fields that
/// read it; `None` when it is not an array.
fn parsed(path: &str, text: &str) -> Option<Rc<Vec<Value>>> {
    PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let slot = match cache.iter().position(|(p, _, _)| p == path) {
            Some(slot) if cache[slot].1 == text => return Some(Rc::clone(&cache[slot].2)),
            Some(slot) => slot,
            None => {
                cache.push((path.to_string(), String::new(), Rc::new(Vec::new())));
                cache.len() - 1
            }
        };
        let Ok(Value::Array(items)) = serde_json::from_str(text) else { return None };
        let items = Rc::new(items);
        cache[slot] = (path.to_string(), text.to_string(), Rc::clone(&items));
        Some(items)
    })
}

/// The value at `keys` inside `item`, if it is there and not null.
fn value_at<'v>(item: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(item, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// A JSON value as a field's text: a string as-is, anything else as JSON.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An image reference without its tag or digest, cut as Falco cuts it: before the first `:`,
/// then before any `@`.
fn repository(image: &str) -> &str {
    let untagged = image.split(':').next().unwrap_or(image);
    untagged.split('@').next().unwrap_or(untagged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_drop_tags_and_digests() {
        assert_eq!(repository("falcosecurity/falco:0.38"), "falcosecurity/falco");
        assert_eq!(repository("nginx@sha256:abc"), "nginx");
        assert_eq!(repository("busybox"), "busybox");
    }
}
