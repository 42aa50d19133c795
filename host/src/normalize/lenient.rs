//! Lenient reading of JSON records: every field of every provider's shape is read through
//! these types. A value of an unexpected JSON type reads as [`Loose::Other`] (or, for an
//! object, as absent), so one odd field never costs the whole record; each normalizer decides
//! which fields must be right and names them in its errors. `null` reads as absent. Strings
//! are borrowed from the record's text where no escape forces a copy, and everything a shape
//! does not name is skipped without being built.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A scalar field as written, whatever its JSON type.
#[derive(Debug, Clone, PartialEq)]
pub enum Loose<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Number(f64),
    /// An array or object where a scalar was expected; its JSON type, for error messages.
    Other(&'static str),
}

impl<'a> Loose<'a> {
    /// The text of a non-empty string.
    pub fn str(&self) -> Option<&str> {
        match self {
            Loose::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// A boolean, also when written as the string `"true"`/`"false"`.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Loose::Bool(b) => Some(*b),
            Loose::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Loose::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// A number, also when written as a decimal string (`"443"`).
    pub fn number(&self) -> Option<f64> {
        match self {
            Loose::Number(n) => Some(*n),
            Loose::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            _ => None,
        }
    }

    /// The text of a non-empty string, or of a number (integers without a fraction): ids that
    /// exports write either way (`"account-id": 123456789012`).
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Loose::Str(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
            Loose::Number(n) if n.fract() == 0.0 && n.abs() < 1e16 => {
                Some(Cow::Owned(format!("{}", *n as i64)))
            }
            Loose::Number(n) if n.is_finite() => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    /// The JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Loose::Str(_) => "a string",
            Loose::Bool(_) => "a boolean",
            Loose::Number(_) => "a number",
            Loose::Other(kind) => kind,
        }
    }
}

impl fmt::Display for Loose<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loose::Str(s) => write!(f, "{:?}", s.as_ref()),
            Loose::Bool(b) => write!(f, "{b}"),
            // Huge numbers in exponent form: `1e300`, not three hundred digits.
            Loose::Number(n) if n.abs() >= 1e21 => write!(f, "{n:e}"),
            Loose::Number(n) => write!(f, "{n}"),
            Loose::Other(kind) => f.write_str(kind),
        }
    }
}

/// The text of a non-empty string field.
pub fn text<'s>(field: &'s Option<Loose<'_>>) -> Option<&'s str> {
    field.as_ref()?.str()
}

/// [`text`] as an owned string.
pub fn owned(field: &Option<Loose<'_>>) -> Option<String> {
    text(field).map(str::to_string)
}

/// [`owned`], also for a number where a string was expected (a project number, an error
/// code): exports write either.
pub fn scalar_text(field: &Option<Loose<'_>>) -> Option<String> {
    match field.as_ref()? {
        Loose::Number(n) => Some(Loose::Number(*n).to_string()),
        other => other.str().map(str::to_string),
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for LooseVisitor<'a> {
            type Value = Loose<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Loose::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Loose::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Loose::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Loose::Number(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_seq(seq)?;
                Ok(Loose::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_map(map)?;
                Ok(Loose::Other("an object"))
            }
        }

        deserializer.deserialize_any(LooseVisitor(PhantomData))
    }
}

/// Visitor methods for the scalar JSON values, each reading as `Self::Value::default()`.
macro_rules! scalars_read_as_default {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}
pub(crate) use scalars_read_as_default;

/// A nested object read as `T`; any other JSON value reads as absent (`T::default()`).
#[derive(Debug, Default)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_seq(seq)?;
                Ok(Object::default())
            }
            scalars_read_as_default!();
        }

        deserializer.deserialize_any(ObjectVisitor(PhantomData))
    }
}

/// An array of objects read as `T` (an element that is not an object reads as `T::default()`);
/// any other JSON value reads as an empty list.
#[derive(Debug)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(Object(item)) = seq.next_element::<Object<T>>()? {
                    items.push(item);
                }
                Ok(List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_map(map)?;
                Ok(List::default())
            }
            scalars_read_as_default!();
        }

        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// An array of scalars (`sourceIPs`, `groups`, the values of a Kubernetes `user.extra`): a lone
/// scalar reads as a list of one, `null` elements are dropped, and any other JSON value reads
/// as an empty list.
#[derive(Debug, Default)]
pub struct Scalars<'a>(pub Vec<Loose<'a>>);

impl Scalars<'_> {
    /// The first non-empty string.
    pub fn first(&self) -> Option<&str> {
        self.0.iter().find_map(Loose::str)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalars<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarsVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ScalarsVisitor<'a> {
            type Value = Scalars<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Option<Loose<'a>>>()? {
                    items.extend(item);
                }
                Ok(Scalars(items))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalars(vec![Loose::Str(Cow::Borrowed(v))]))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalars(vec![Loose::Str(Cow::Owned(v.to_string()))]))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalars(vec![Loose::Bool(v)]))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalars(vec![Loose::Number(v as f64)]))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalars(vec![Loose::Number(v as f64)]))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalars(vec![Loose::Number(v)]))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalars::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_map(map)?;
                Ok(Scalars::default())
            }
        }

        deserializer.deserialize_any(ScalarsVisitor(PhantomData))
    }
}

/// A top-level object read as `T` with its keys folded to lower case, for shapes whose
/// exporters fold them (Panther, Athena and SIEM exports write `insertid` for `insertId`):
/// `T` names its fields in lower case. A key written twice in different cases is read once,
/// its first value kept. Any other JSON value reads as absent.
#[derive(Debug, Default)]
pub struct FoldedKeys<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for FoldedKeys<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FoldedVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for FoldedVisitor<T> {
            type Value = FoldedKeys<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let folded = Folded { map, seen: Vec::new() };
                T::deserialize(MapAccessDeserializer::new(folded)).map(FoldedKeys)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_seq(seq)?;
                Ok(FoldedKeys::default())
            }
            scalars_read_as_default!();
        }

        deserializer.deserialize_any(FoldedVisitor(PhantomData))
    }
}

/// The entries of an object with their keys in lower case, each key once.
struct Folded<'de, A> {
    map: A,
    seen: Vec<Cow<'de, str>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Folded<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key::<Loose<'de>>()? else { return Ok(None) };
            // JSON keys are strings: `Loose` reads every one as `Str`.
            let Loose::Str(key) = key else {
                self.map.next_value::<IgnoredAny>()?;
                continue;
            };
            let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(key.to_ascii_lowercase())
            } else {
                key
            };
            if self.seen.contains(&key) {
                self.map.next_value::<IgnoredAny>()?;
                continue;
            }
            self.seen.push(key.clone());
            let value = match key {
                Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
                Cow::Owned(key) => seed.deserialize(StringDeserializer::new(key)),
            };
            return value.map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}
