//! The shape of a Falco alert as Falco writes it with `json_output: true`: the rule that
//! fired, its priority and tags, and `output_fields`, the values of the fields its output
//! names, keyed by field name (`proc.cmdline`, `container.image.repository`, ...). Falco
//! writes `<NA>` (or `null`) for a field it could not fill; both read as absent. Every field is
//! read leniently ([`crate::normalize::lenient`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::normalize::lenient::{Loose, Object, Scalars};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Alert<'a> {
    #[serde(borrow)]
    pub time: Option<Loose<'a>>,
    #[serde(borrow)]
    pub rule: Option<Loose<'a>>,
    #[serde(borrow)]
    pub priority: Option<Loose<'a>>,
    #[serde(borrow)]
    pub hostname: Option<Loose<'a>>,
    #[serde(borrow)]
    pub source: Option<Loose<'a>>,
    #[serde(borrow)]
    pub tags: Scalars<'a>,
    #[serde(borrow)]
    pub output_fields: Object<Fields<'a>>,
}

/// `output_fields`: whatever fields the rule's output names.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Fields<'a>(#[serde(borrow)] BTreeMap<String, Option<Loose<'a>>>);

impl Fields<'_> {
    /// A field's value, unless absent, `null` or `<NA>`.
    pub fn get(&self, key: &str) -> Option<&Loose<'_>> {
        self.0.get(key)?.as_ref().filter(|v| v.str() != Some("<NA>"))
    }

    /// A field's text (numbers written as text), unless absent or empty.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key)?.as_text().map(|t| t.into_owned())
    }

    /// Whether any field of the class (`proc.`) has a value.
    pub fn has_class(&self, prefix: &str) -> bool {
        self.0.keys().any(|k| k.starts_with(prefix) && self.get(k).is_some())
    }
}
