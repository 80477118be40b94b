//! What a schema must be for Flink to declare it, beyond what AVRO allows: no recursive types
//! (a Flink SQL type is a finite tree), a bounded nesting depth and size once references are
//! expanded (so nothing downstream can overflow the stack or grow without end), records with
//! fields, enums with symbols, and decimals Flink's DECIMAL can hold.
//!
//! It walks the JSON document rather than apache-avro's schema because apache-avro silently
//! drops a decimal logical type it finds invalid (precision 0, scale above precision), which
//! leaves plain bytes where the user wrote a decimal.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Levels of nested types (records, arrays, maps) once references are resolved. Deeper than
/// any real schema; the SQL front end parses a ROW type of this depth.
pub(crate) const MAX_DEPTH: usize = 32;
/// Types once references are expanded: Flink declares every one of them in the table.
pub(crate) const MAX_TYPES: u64 = 100_000;
/// Flink's DECIMAL precision.
const MAX_PRECISION: u64 = 38;

const PRIMITIVES: &[&str] = &["null", "boolean", "int", "long", "float", "double", "bytes", "string"];

/// A problem, with a word to find in the file to point at.
#[derive(Debug)]
pub(crate) struct ShapeProblem {
    pub message: String,
    pub hint: String,
    pub near: Option<String>,
}

/// Checks a document `apache-avro` accepted.
pub(crate) fn check(json: &Value) -> Result<(), ShapeProblem> {
    let mut walker = Walker::default();
    walker.walk(json, "").map(|_| ())
}

/// How deep and how large a type is once its references are expanded.
#[derive(Debug, Clone, Copy)]
struct Size {
    depth: usize,
    types: u64,
}

const LEAF: Size = Size { depth: 0, types: 1 };

#[derive(Default)]
struct Walker {
    /// Named types fully defined, by full name (and alias), with their expanded size.
    defined: HashMap<String, Size>,
    /// Named types being defined (outermost first): a reference to one of them is recursion.
    open: Vec<Vec<String>>,
    /// Record and field names from the top, for messages: `Node.next`.
    path: Vec<String>,
}

impl Walker {
    fn walk(&mut self, value: &Value, namespace: &str) -> Result<Size, ShapeProblem> {
        let size = match value {
            Value::String(name) => self.reference(name, namespace)?,
            // A union adds no level: Flink reads ["null", T] as a nullable T.
            Value::Array(branches) => {
                let mut size = Size { depth: 0, types: 0 };
                for branch in branches {
                    let branch = self.walk(branch, namespace)?;
                    size.depth = size.depth.max(branch.depth);
                    size.types = size.types.saturating_add(branch.types);
                }
                size
            }
            Value::Object(map) => self.complex(map, namespace)?,
            _ => LEAF,
        };
        if size.depth > MAX_DEPTH {
            return Err(self.problem(
                format!("types here nest more than {MAX_DEPTH} levels deep"),
                "flatten the schema: Flink declares every nested record, array and map as a column type",
            ));
        }
        if size.types > MAX_TYPES {
            return Err(self.problem(
                format!("the schema expands to more than {MAX_TYPES} types once its named types are written out"),
                "Flink declares every use of a named type in full: use fewer nested copies of large records",
            ));
        }
        Ok(size)
    }

    fn reference(&self, name: &str, namespace: &str) -> Result<Size, ShapeProblem> {
        if PRIMITIVES.contains(&name) {
            return Ok(LEAF);
        }
        // The name in the enclosing namespace first, then as written (AVRO's resolution).
        for candidate in [qualify(namespace, name), name.to_owned()] {
            if let Some(open) = self.open.iter().find(|names| names.contains(&candidate)) {
                let record = short(&open[0]);
                return Err(self.problem(
                    format!(
                        "record `{record}` contains itself through `{}`: Flink SQL types cannot be recursive",
                        self.path.join(".")
                    ),
                    "refer to the other record by a key (e.g. a `next_id` field) instead of nesting it in itself",
                ));
            }
            if let Some(size) = self.defined.get(&candidate) {
                return Ok(*size);
            }
        }
        Ok(LEAF)
    }

    fn complex(&mut self, map: &Map<String, Value>, namespace: &str) -> Result<Size, ShapeProblem> {
        let kind = map.get("type");
        if map.get("logicalType").and_then(Value::as_str) == Some("decimal") {
            self.decimal(map)?;
        }
        match kind.and_then(Value::as_str) {
            Some("record" | "error") => self.record(map, namespace),
            Some("enum") => {
                let names = self.names(map, namespace);
                if map.get("symbols").and_then(Value::as_array).is_some_and(Vec::is_empty) {
                    let name = short(&names[0]).to_owned();
                    return Err(ShapeProblem {
                        near: Some(name.clone()),
                        ..self.problem(
                            format!("enum `{name}` has no symbols"),
                            "list its values in \"symbols\": a value of an enum without symbols cannot be written",
                        )
                    });
                }
                self.define(names, LEAF);
                Ok(LEAF)
            }
            Some("fixed") => {
                let names = self.names(map, namespace);
                self.define(names, LEAF);
                Ok(LEAF)
            }
            Some("array") => self.nested(map.get("items"), namespace),
            Some("map") => self.nested(map.get("values"), namespace),
            Some(_) | None => match kind {
                Some(inner) => self.walk(inner, namespace),
                None => Ok(LEAF),
            },
        }
    }

    fn nested(&mut self, inner: Option<&Value>, namespace: &str) -> Result<Size, ShapeProblem> {
        let inner = match inner {
            Some(inner) => self.walk(inner, namespace)?,
            None => LEAF,
        };
        Ok(Size {
            depth: inner.depth + 1,
            types: inner.types.saturating_add(1),
        })
    }

    fn record(&mut self, map: &Map<String, Value>, namespace: &str) -> Result<Size, ShapeProblem> {
        let names = self.names(map, namespace);
        let name = short(&names[0]).to_owned();
        let inner_namespace = names[0].rsplit_once('.').map_or("", |(ns, _)| ns).to_owned();
        let fields = map
            .get("fields")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if self.path.is_empty() {
            self.path.push(name.clone());
        }
        if fields.is_empty() {
            return Err(ShapeProblem {
                near: Some(name.clone()),
                ..self.problem(
                    format!("record `{name}` has no fields"),
                    "Flink declares a column for each field: give the record at least one field",
                )
            });
        }
        self.open.push(names);
        let mut size = Size { depth: 0, types: 1 };
        for field in fields {
            let field_name = field.get("name").and_then(Value::as_str).unwrap_or("?");
            self.path.push(field_name.to_owned());
            let inner = match field.get("type") {
                Some(t) => self.walk(t, &inner_namespace)?,
                None => LEAF,
            };
            self.path.pop();
            size.depth = size.depth.max(inner.depth);
            size.types = size.types.saturating_add(inner.types);
        }
        size.depth += 1;
        let names = self.open.pop().unwrap_or_default();
        self.define(names, size);
        Ok(size)
    }

    /// Flink's DECIMAL(p, s): 1 <= p <= 38 and 0 <= s <= p.
    fn decimal(&self, map: &Map<String, Value>) -> Result<(), ShapeProblem> {
        let precision = map.get("precision").and_then(Value::as_u64);
        let scale = match map.get("scale") {
            None => Some(0),
            Some(scale) => scale.as_u64(),
        };
        let problem = match (precision, scale) {
            (None, _) => "a decimal needs an integer \"precision\"".to_owned(),
            (Some(p), _) if p == 0 || p > MAX_PRECISION => {
                format!("decimal precision {p} is outside Flink's 1 to {MAX_PRECISION}")
            }
            (Some(_), None) => "a decimal's \"scale\" must be an integer of 0 or more".to_owned(),
            (Some(p), Some(s)) if s > p => format!("decimal scale {s} is larger than its precision {p}"),
            _ => return Ok(()),
        };
        Err(self.problem(
            format!("{problem} (at `{}`)", self.path.join(".")),
            "e.g. {\"type\": \"bytes\", \"logicalType\": \"decimal\", \"precision\": 10, \"scale\": 2}: a precision of 1 to 38, a scale of 0 to the precision",
        ))
    }

    /// The full name of a named type and of its aliases.
    fn names(&self, map: &Map<String, Value>, namespace: &str) -> Vec<String> {
        let own_namespace = map.get("namespace").and_then(Value::as_str).unwrap_or(namespace);
        let name = map.get("name").and_then(Value::as_str).unwrap_or("?");
        let full = qualify(own_namespace, name);
        let alias_namespace = full.rsplit_once('.').map_or("", |(ns, _)| ns).to_owned();
        let aliases = map
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|alias| qualify(&alias_namespace, alias));
        std::iter::once(full).chain(aliases).collect()
    }

    fn define(&mut self, names: Vec<String>, size: Size) {
        for name in names {
            self.defined.insert(name, size);
        }
    }

    fn problem(&self, message: String, hint: &str) -> ShapeProblem {
        ShapeProblem {
            message,
            hint: hint.to_owned(),
            near: self.path.last().cloned(),
        }
    }
}

fn qualify(namespace: &str, name: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}.{name}")
    }
}

fn short(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}
