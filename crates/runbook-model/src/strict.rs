//! Numbers and booleans read as written. YAML's typed deserialisation would
//! turn `concurrency: "4"` into 4 and `follow_redirects: "true"` into true;
//! a quoted value is a string, so where a number or a boolean belongs it is
//! an error at `check`, never coerced.
//!
//! Used through `#[serde(deserialize_with = "…")]`, so the model keeps its
//! plain types and the JSON Schema stays that of the type.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::Spanned;

/// A scalar type read strictly: from its own YAML type only.
pub(crate) trait Scalar: Sized {
    /// What the key takes, e.g. "a whole number".
    const EXPECTED: &'static str;

    /// From a YAML integer.
    fn from_integer(_: i128) -> Option<Self> {
        None
    }

    /// From a YAML float.
    fn from_float(_: f64) -> Option<Self> {
        None
    }

    /// From a YAML boolean.
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
}

impl Scalar for u32 {
    const EXPECTED: &'static str = "a whole number";

    fn from_integer(value: i128) -> Option<Self> {
        Self::try_from(value).ok()
    }
}

impl Scalar for u16 {
    const EXPECTED: &'static str = "a whole number from 0 to 65535";

    fn from_integer(value: i128) -> Option<Self> {
        Self::try_from(value).ok()
    }
}

impl Scalar for i32 {
    const EXPECTED: &'static str = "a whole number";

    fn from_integer(value: i128) -> Option<Self> {
        Self::try_from(value).ok()
    }
}

impl Scalar for f64 {
    const EXPECTED: &'static str = "a number";

    #[allow(clippy::cast_precision_loss)]
    fn from_integer(value: i128) -> Option<Self> {
        Some(value as Self)
    }

    fn from_float(value: f64) -> Option<Self> {
        Some(value)
    }
}

impl Scalar for bool {
    const EXPECTED: &'static str = "`true` or `false`";

    fn from_bool(value: bool) -> Option<Self> {
        Some(value)
    }
}

/// The message for a string where a scalar of type `T` belongs; the loader
/// turns its `found the string` form into a diagnostic with a fix.
pub(crate) fn found_string<T: Scalar>(text: &str) -> String {
    format!("expected {}, found the string {text:?}", T::EXPECTED)
}

struct Strict<T>(T);

impl<'de, T: Scalar> Deserialize<'de> for Strict<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrictVisitor<T>(PhantomData<T>);

        impl<T: Scalar> StrictVisitor<T> {
            fn integer<E: de::Error>(value: i128) -> Result<Strict<T>, E> {
                T::from_integer(value)
                    .map(Strict)
                    .ok_or_else(|| E::custom(format!("number {value} is out of range for {}", T::EXPECTED)))
            }
        }

        impl<T: Scalar> Visitor<'_> for StrictVisitor<T> {
            type Value = Strict<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTED)
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Strict<T>, E> {
                Self::integer(i128::from(value))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Strict<T>, E> {
                Self::integer(i128::from(value))
            }

            fn visit_u128<E: de::Error>(self, value: u128) -> Result<Strict<T>, E> {
                Self::integer(i128::try_from(value).unwrap_or(i128::MAX))
            }

            fn visit_i128<E: de::Error>(self, value: i128) -> Result<Strict<T>, E> {
                Self::integer(value)
            }

            #[allow(clippy::cast_possible_truncation, reason = "only a whole number below 2^63 is cast")]
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Strict<T>, E> {
                T::from_float(value).map(Strict).ok_or_else(|| {
                    // `concurrency: 4.0`, `attempts: 1e1`: a whole number
                    // written as a decimal, which is in range once written
                    // as one. Integers beyond 64 bits arrive as floats.
                    let whole = value.fract() == 0.0;
                    E::custom(if whole && value.abs() < 9.2e18 && T::from_integer(value as i128).is_some() {
                        format!("expected {}, found {value:?}: write `{value}`", T::EXPECTED)
                    } else if whole {
                        format!("number {value} is out of range for {}", T::EXPECTED)
                    } else {
                        format!("expected {}, found {value}", T::EXPECTED)
                    })
                })
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Strict<T>, E> {
                T::from_bool(value)
                    .map(Strict)
                    .ok_or_else(|| E::custom(format!("expected {}, found {value}", T::EXPECTED)))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Strict<T>, E> {
                Err(E::custom(found_string::<T>(text)))
            }
        }

        deserializer.deserialize_any(StrictVisitor(PhantomData))
    }
}

/// A required scalar with its span.
pub(crate) fn spanned<'de, D: Deserializer<'de>, T: Scalar>(deserializer: D) -> Result<Spanned<T>, D::Error> {
    let Spanned { value: Strict(value), span } = Spanned::<Strict<T>>::deserialize(deserializer)?;
    Ok(Spanned::new(value, span))
}

/// An optional scalar with its span (with `#[serde(default)]`).
pub(crate) fn optional_spanned<'de, D: Deserializer<'de>, T: Scalar>(
    deserializer: D,
) -> Result<Option<Spanned<T>>, D::Error> {
    spanned(deserializer).map(Some)
}

/// An optional scalar (with `#[serde(default)]`).
pub(crate) fn optional<'de, D: Deserializer<'de>, T: Scalar>(deserializer: D) -> Result<Option<T>, D::Error> {
    Strict::<T>::deserialize(deserializer).map(|Strict(value)| Some(value))
}

/// A scalar (with `#[serde(default)]`).
pub(crate) fn plain<'de, D: Deserializer<'de>, T: Scalar>(deserializer: D) -> Result<T, D::Error> {
    Strict::<T>::deserialize(deserializer).map(|Strict(value)| value)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::{Source, Spanned};

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "super::optional_spanned")]
        count: Option<Spanned<u32>>,
        #[serde(default, deserialize_with = "super::optional")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "super::optional")]
        factor: Option<f64>,
    }

    fn read(text: &str) -> Result<Sample, String> {
        let source = Source::new("t.yaml", text);
        serde_saphyr::from_str::<Sample>(source.text()).map_err(|error| error.without_snippet().to_string())
    }

    #[test]
    fn plain_scalars_are_read() {
        let sample = read("count: 0x10\nflag: true\nfactor: 2\n").unwrap();
        assert_eq!(sample.count.unwrap().value, 16);
        assert_eq!(sample.flag, Some(true));
        assert_eq!(sample.factor, Some(2.0));
    }

    #[test]
    fn quoted_scalars_are_refused() {
        for (text, expected) in [
            ("count: \"4\"", "expected a whole number, found the string \"4\""),
            ("count: '0x10'", "expected a whole number, found the string \"0x10\""),
            ("flag: \"true\"", "expected `true` or `false`, found the string \"true\""),
            ("factor: \"1.5\"", "expected a number, found the string \"1.5\""),
            ("count: -1", "number -1 is out of range for a whole number"),
            ("count: true", "expected a whole number, found true"),
            ("count: 4.0", "expected a whole number, found 4.0: write `4`"),
            ("count: 1e1", "expected a whole number, found 10.0: write `10`"),
            ("count: 2.5", "expected a whole number, found 2.5"),
            ("count: 1e12", "number 1000000000000 is out of range for a whole number"),
        ] {
            let error = read(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
