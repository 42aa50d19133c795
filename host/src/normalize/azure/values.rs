//! Azure's ways of writing a value, read leniently: names written either as a string or as a
//! localized pair (`{"value": ..., "localizedValue": ...}`), and token claims, whose keys
//! vary with the token's version (`upn` or its URI form).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::normalize::lenient::{scalars_read_as_default, Loose};

/// A name Azure writes as a string (the storage export) or as `{"value", "localizedValue"}`
/// (the REST API): `value` is kept, the text for display is not.
#[derive(Debug, Default)]
pub struct Localized<'a>(pub Option<Loose<'a>>);

impl Localized<'_> {
    pub fn text(&self) -> Option<&str> {
        self.0.as_ref()?.str()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Localized<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LocalizedVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for LocalizedVisitor<'a> {
            type Value = Localized<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an object with a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut value = None;
                while let Some(key) = map.next_key::<Loose<'de>>()? {
                    if value.is_none() && key.str() == Some("value") {
                        value = map.next_value::<Option<Loose<'de>>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Localized(value))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Str(Cow::Borrowed(v)))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Str(Cow::Owned(v.to_string())))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Str(Cow::Owned(v)))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Bool(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Number(v as f64))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Number(v as f64))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Localized(Some(Loose::Number(v))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Localized(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_seq(seq)?;
                Ok(Localized(Some(Loose::Other("an array"))))
            }
        }

        deserializer.deserialize_any(LocalizedVisitor(PhantomData))
    }
}

/// The claims of the token a call was made with: every entry whose value is a string, in
/// order. Any other JSON value reads as no claims.
#[derive(Debug, Default)]
pub struct Claims<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

/// Claims as Azure AD writes them in long (v1 tokens) and short (v2 tokens) form.
pub const UPN: [&str; 2] = ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "upn"];
pub const OBJECT_ID: [&str; 2] = ["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];
pub const TENANT_ID: [&str; 2] = ["http://schemas.microsoft.com/identity/claims/tenantid", "tid"];
pub const AUTH_METHODS: [&str; 2] = ["http://schemas.microsoft.com/claims/authnmethodsreferences", "amr"];
pub const NAME: [&str; 2] = ["name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"];
pub const EMAIL: [&str; 2] = ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "email"];
pub const APP_ID: [&str; 2] = ["appid", "azp"];
/// `app` or `user` (v2 tokens).
pub const IDENTITY_TYPE: [&str; 1] = ["idtyp"];
pub const IP_ADDRESS: [&str; 1] = ["ipaddr"];

impl Claims<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first non-empty value of any of `keys`, in the order of `keys`.
    pub fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|key| self.0.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.as_ref()))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Claims<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ClaimsVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ClaimsVisitor<'a> {
            type Value = Claims<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of claims")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut claims = Vec::new();
                while let Some(key) = map.next_key::<Loose<'de>>()? {
                    if let (Loose::Str(key), Some(Loose::Str(value))) =
                        (key, map.next_value::<Option<Loose<'de>>>()?)
                    {
                        claims.push((key, value));
                    }
                }
                Ok(Claims(claims))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                IgnoredAny.visit_seq(seq)?;
                Ok(Claims::default())
            }
            scalars_read_as_default!();
        }

        deserializer.deserialize_any(ClaimsVisitor(PhantomData))
    }
}
