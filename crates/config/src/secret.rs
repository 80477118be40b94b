//! A value that must never reach a log, a report or the terminal.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What every printed or serialised secret shows instead of its value.
pub const REDACTED: &str = "<redacted>";

/// A password or key. `Debug`, `Display` and `Serialize` all print [`REDACTED`]; the value is
/// reachable only through [`Secret::expose`], at the one place that hands it to a client.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Free-form client properties (`sasl.password: ...`), passed to a client verbatim. `Debug`
/// hides the values of secret-looking keys, so logging a config never leaks them.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Properties(pub BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Properties {
    /// Values may be written as numbers or booleans (`retention.ms: 3600000`); clients take
    /// every property as a string, so they are kept as the text the user wrote.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, serde_json::Value>::deserialize(deserializer)?;
        raw.into_iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(s) => Ok((key, s)),
                serde_json::Value::Number(n) => Ok((key, n.to_string())),
                serde_json::Value::Bool(b) => Ok((key, b.to_string())),
                // The value itself is not quoted: the property may be a password.
                other => Err(serde::de::Error::custom(format!(
                    "property `{key}` must be a single value, not {}",
                    if other.is_array() {
                        "a list"
                    } else {
                        "a mapping or null"
                    }
                ))),
            })
            .collect::<Result<_, _>>()
            .map(Properties)
    }
}

impl Properties {
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(k, v)| (k, if is_secret_key(k) { REDACTED } else { v.as_str() })),
            )
            .finish()
    }
}

/// Text with the password of every `scheme://user:password@host` in it (or a lone token,
/// `scheme://token@host`) replaced by [`REDACTED`]; the user name stays, to tell accounts apart.
pub fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        out.push_str(&rest[..scheme_end + 3]);
        let after = &rest[scheme_end + 3..];
        let authority_end = after
            .find(|c: char| matches!(c, '/' | '?' | '#' | ',' | ';') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                match authority[..at].split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(REDACTED);
                    }
                    None => out.push_str(REDACTED),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `http://user:pass@host:8081/x` → (`http://host:8081/x`, `user`, `pass`), percent-decoded;
/// `None` for a URL without credentials.
pub(crate) fn split_url_credentials(url: &str) -> Option<(String, String, String)> {
    let scheme_end = url.find("://")? + 3;
    let after = &url[scheme_end..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let at = after[..authority_end].rfind('@')?;
    let (user, password) = after[..at].split_once(':').unwrap_or((&after[..at], ""));
    let bare = format!("{}{}", &url[..scheme_end], &after[at + 1..]);
    Some((bare, percent_decode(user), percent_decode(password)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a free-form key (a client property, say) names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "jaas",
        "api_key",
        "api.key",
        "apikey",
        "token",
        "credential",
        "user.info",
    ]
    .iter()
    .any(|word| key.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<redacted>\"");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn url_passwords_are_hidden_and_split_off() {
        assert_eq!(
            redact_url_credentials("http://svc:hunter2@reg:8081/x, https://tok@other"),
            "http://svc:<redacted>@reg:8081/x, https://<redacted>@other"
        );
        assert_eq!(redact_url_credentials("http://reg:8081"), "http://reg:8081");
        assert_eq!(
            split_url_credentials("https://svc:p%40ss@reg:8081/ctx"),
            Some(("https://reg:8081/ctx".into(), "svc".into(), "p@ss".into()))
        );
        assert_eq!(split_url_credentials("http://reg:8081/a@b"), None);
    }

    #[test]
    fn recognises_secret_property_names() {
        assert!(is_secret_key("sasl.password"));
        assert!(is_secret_key("sasl.jaas.config"));
        assert!(is_secret_key("basic.auth.user.info"));
        assert!(!is_secret_key("linger.ms"));
    }
}
