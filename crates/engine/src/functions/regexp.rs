//! Flink's `REGEXP(text, regex)`, `REGEXP_EXTRACT(text, regex[, group])` and
//! `REGEXP_REPLACE(text, regex, replacement)`, with Java's pattern syntax: a match anywhere
//! (`find`), group 0 by default, every match replaced, the replacement taken literally (no `$1`),
//! NULL for a pattern that does not compile or a group that is not there.
//!
//! Java's `\d`, `\w` and `\s` are ASCII-only, Rust's regex Unicode-aware: they are rewritten to
//! their ASCII classes. Java constructs Rust's regex lacks (look-around, back-references)
//! do not compile, so they give NULL here; `translate` refuses such a literal pattern.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use regex::Regex;

pub const REGEXP: &str = "pipegen_regexp";
/// `pipegen_regexp_extract(text, regex, group)`.
pub const REGEXP_EXTRACT: &str = "pipegen_regexp_extract";
pub const REGEXP_REPLACE: &str = "pipegen_regexp_replace";

/// A Java pattern as Rust's regex syntax; `None` when it uses what Rust's regex lacks.
pub fn compile(java: &str) -> Option<Regex> {
    let mut rust = String::with_capacity(java.len());
    let mut in_class = false;
    let mut chars = java.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                let class = match escaped {
                    'd' => Some("0-9"),
                    'w' => Some("a-zA-Z0-9_"),
                    's' => Some(" \\t\\n\\x0B\\f\\r"),
                    _ => None,
                };
                let negated = match escaped {
                    'D' => Some("0-9"),
                    'W' => Some("a-zA-Z0-9_"),
                    'S' => Some(" \\t\\n\\x0B\\f\\r"),
                    _ => None,
                };
                match (class, negated, in_class) {
                    (Some(set), _, true) => rust.push_str(set),
                    (Some(set), _, false) => rust.push_str(&format!("[{set}]")),
                    (_, Some(_), true) => return None,
                    (_, Some(set), false) => rust.push_str(&format!("[^{set}]")),
                    (None, None, _) => {
                        rust.push('\\');
                        rust.push(escaped);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                rust.push(c);
                // A `]` right after `[` or `[^` is a literal in Java.
                let rest = chars.as_str();
                if let Some(after) = rest.strip_prefix('^') {
                    rust.push('^');
                    chars = after.chars();
                }
                if chars.as_str().starts_with(']') {
                    rust.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                rust.push(c);
            }
            _ => rust.push(c),
        }
    }
    Regex::new(&rust).ok()
}

/// Compiled patterns, once per distinct pattern in a batch.
#[derive(Default)]
struct Patterns(HashMap<String, Option<Regex>>);

impl Patterns {
    fn get(&mut self, java: &str) -> Option<&Regex> {
        // Patterns that differ from row to row are not kept.
        if self.0.len() > 64 {
            self.0.clear();
        }
        self.0.entry(java.to_owned()).or_insert_with(|| compile(java)).as_ref()
    }
}

pub fn regexp_udf() -> ScalarUDF {
    create_udf(
        REGEXP,
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Utf8, DataType::Utf8])?;
            let (texts, patterns) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
            let mut compiled = Patterns::default();
            let found: BooleanArray = (0..texts.len())
                .map(|row| {
                    if texts.is_null(row) || patterns.is_null(row) {
                        return None;
                    }
                    compiled
                        .get(patterns.value(row))
                        .map(|re| re.is_match(texts.value(row)))
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(found)))
        }),
    )
}

pub fn regexp_extract_udf() -> ScalarUDF {
    create_udf(
        REGEXP_EXTRACT,
        vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Utf8, DataType::Utf8, DataType::Int64])?;
            let (texts, patterns) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
            let groups = arrays[2].as_primitive::<Int64Type>();
            let mut compiled = Patterns::default();
            let extracted: StringArray = (0..texts.len())
                .map(|row| {
                    if texts.is_null(row) || patterns.is_null(row) || groups.is_null(row) {
                        return None;
                    }
                    let re = compiled.get(patterns.value(row))?;
                    let group = usize::try_from(groups.value(row)).ok()?;
                    let captures = re.captures(texts.value(row))?;
                    captures.get(group).map(|m| m.as_str().to_owned())
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(extracted)))
        }),
    )
}

pub fn regexp_replace_udf() -> ScalarUDF {
    let compiled = std::sync::Mutex::new(Patterns::default());
    super::string_udf(REGEXP_REPLACE, 3, move |args| {
        let mut compiled = compiled.lock().ok()?;
        let re = compiled.get(args[1])?;
        Some(re.replace_all(args[0], regex::NoExpand(args[2])).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::compile;

    #[test]
    fn java_classes_stay_ascii() {
        let digits = compile(r"\d+").unwrap();
        assert!(digits.is_match("42"));
        assert!(!digits.is_match("٤٢"), "Arabic-Indic digits are no \\d in Java");
        assert!(compile(r"[\w.]+@[a-z]+").unwrap().is_match("a.b@example"));
        assert!(compile(r"[]a]").unwrap().is_match("]"));
        assert!(compile(r"(?i)ORD-([0-9]+)").unwrap().is_match("ord-12"));
        assert!(compile(r"(?=x)").is_none(), "no look-ahead in Rust's regex");
    }
}
