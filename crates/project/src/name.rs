//! Project names, and the identifiers derived from them.

use std::fmt;

/// A valid project name: a letter, then up to 63 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a valid project name: {reason}")]
pub struct NameError {
    pub name: String,
    pub reason: &'static str,
}

impl ProjectName {
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let fail = |reason| NameError {
            name: name.to_owned(),
            reason,
        };
        let first = name.chars().next().ok_or_else(|| fail("it is empty"))?;
        if !first.is_ascii_alphabetic() {
            return Err(fail("it must start with a letter"));
        }
        if name.len() > 64 {
            return Err(fail("it is longer than 64 characters"));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(fail("use only letters, digits, `-` and `_`"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `my-pipeline` → `my_pipeline`: usable as an AVRO namespace part or a SQL identifier.
    pub fn identifier(&self) -> String {
        self.0.to_ascii_lowercase().replace('-', "_")
    }

    /// `my_pipeline` → `my-pipeline`: usable in topic names and consumer group ids.
    pub fn kebab(&self) -> String {
        self.0.to_ascii_lowercase().replace('_', "-")
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `UserEvent` → `user_event`, `HTTPRequest` → `http_request`, `order-lines` → `order_lines`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if prev_lower || (prev_upper && next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    match out.chars().next() {
        None => "events".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("_{out}"),
        Some(_) => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects_names() {
        assert!(ProjectName::parse("demo").is_ok());
        assert!(ProjectName::parse("my-pipeline_2").is_ok());
        for bad in ["", "2fast", "has space", "a/b", "../up", "ünï", &"x".repeat(65)] {
            assert!(ProjectName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derives_identifiers() {
        let name = ProjectName::parse("My-Pipeline").unwrap();
        assert_eq!(name.identifier(), "my_pipeline");
        assert_eq!(name.kebab(), "my-pipeline");
        assert_eq!(snake_case("UserEvent"), "user_event");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("order-lines"), "order_lines");
        assert_eq!(snake_case("v2Event"), "v2_event");
        assert_eq!(snake_case("--"), "events");
    }
}
