//! The impls every string newtype shares. A newtype is a tuple struct over `String` with an
//! inherent `parse(&str) -> Result<Self, String>`; the macro adds the rest, so serde
//! (`try_from = "String"`), `str::parse` and formatting all go through that one `parse`.

/// `TryFrom<String>` and `FromStr` through `parse`, `From<T> for String`, `Display` and `as_str`.
macro_rules! parsed_string {
    ($($t:ty),+ $(,)?) => {$(
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s)
            }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

pub(crate) use parsed_string;
