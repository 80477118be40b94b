//! From an AVRO schema's JSON to generator nodes: resolves named types, reads hints, and
//! chooses a strategy for every field.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::GeneratorError;
use crate::follow::FollowSpec;
use crate::hints::Hints;
use crate::node::{Distribution, Field, Kind, Node, Strategy};
use crate::references::{KeyDomain, References};
use crate::semantic::{Pools, zipf_table};

/// Nullable fields are null this often unless a hint says otherwise.
const DEFAULT_NULL_PROBABILITY: f64 = 0.1;

pub(crate) struct Compiler {
    pub pools: Pools,
    /// The tables fields may reference.
    references: References,
    /// Named types by full and short name (the JSON of their definition).
    named: HashMap<String, Value>,
    pub counters: usize,
    /// Records being compiled, outermost first: a top-level field is compiled at depth 1.
    depth: usize,
    /// The field that follows another table's records, when one does.
    pub follows: Option<FollowSpec>,
    /// The top-level field whose values the caller gives.
    pub given: Option<String>,
}

impl Compiler {
    pub fn new(pools: Pools, schema: &Value, references: References) -> Self {
        let mut named = HashMap::new();
        collect_named(schema, None, &mut named);
        Self {
            pools,
            references,
            named,
            counters: 0,
            depth: 0,
            follows: None,
            given: None,
        }
    }

    /// Compiles a type. `field` is the field's name (for semantics and messages), `first`
    /// whether it is a record's first field, `hints` what the field itself says.
    pub fn compile(&mut self, schema: &Value, field: &str, first: bool, hints: Hints) -> Result<Node, GeneratorError> {
        let hints = hints.or(Hints::read(schema, field)?);
        let kind = self.kind(schema, field)?;
        let strategy = self.strategy(field, &kind, first, &hints)?;
        let kind = match kind {
            Kind::Union {
                branches, null_branch, ..
            } => Kind::Union {
                branches,
                null_branch,
                null_probability: hints.null_probability.unwrap_or(DEFAULT_NULL_PROBABILITY),
            },
            other => other,
        };
        Ok(Node { kind, strategy })
    }

    fn kind(&mut self, schema: &Value, field: &str) -> Result<Kind, GeneratorError> {
        Ok(match schema {
            Value::String(name) => self.named_kind(name, field)?,
            Value::Array(branches) => {
                let null_branch = branches.iter().position(|b| b == "null");
                let nodes = branches
                    .iter()
                    .map(|b| self.compile(b, field, false, Hints::default()))
                    .collect::<Result<Vec<_>, _>>()?;
                Kind::Union {
                    branches: nodes,
                    null_branch,
                    null_probability: DEFAULT_NULL_PROBABILITY,
                }
            }
            Value::Object(object) => {
                let logical = object.get("logicalType").and_then(Value::as_str);
                let base = object.get("type").and_then(Value::as_str).unwrap_or("");
                match (logical, base) {
                    (Some("decimal"), "bytes" | "fixed") => Kind::Decimal {
                        precision: object.get("precision").and_then(Value::as_u64).unwrap_or(10) as u32,
                        scale: object.get("scale").and_then(Value::as_u64).unwrap_or(0) as u32,
                        fixed: (base == "fixed")
                            .then(|| object.get("size").and_then(Value::as_u64).unwrap_or(16) as usize),
                    },
                    (Some("uuid"), "string") => Kind::Uuid,
                    (Some("date"), "int") => Kind::Date,
                    (Some("time-millis"), "int") => Kind::TimeMillis,
                    (Some("time-micros"), "long") => Kind::TimeMicros,
                    (Some("timestamp-millis"), "long") => Kind::Timestamp {
                        micros: false,
                        local: false,
                    },
                    (Some("timestamp-micros"), "long") => Kind::Timestamp {
                        micros: true,
                        local: false,
                    },
                    (Some("local-timestamp-millis"), "long") => Kind::Timestamp {
                        micros: false,
                        local: true,
                    },
                    (Some("local-timestamp-micros"), "long") => Kind::Timestamp {
                        micros: true,
                        local: true,
                    },
                    (Some("duration"), "fixed") => Kind::Duration,
                    (_, "record" | "error") => {
                        let fields = object
                            .get("fields")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        let mut compiled = Vec::with_capacity(fields.len());
                        self.depth += 1;
                        for (i, f) in fields.iter().enumerate() {
                            let name = f.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                            let field_hints = Hints::read(f, &name)?;
                            let per = match &field_hints.per {
                                Some(key) => Some(crate::consistent::resolve(&name, key, &compiled, self.depth)?),
                                None => None,
                            };
                            let ty = f.get("type").cloned().unwrap_or(Value::Null);
                            let node = self.compile(&ty, &name, i == 0, field_hints)?;
                            if per.is_some() {
                                crate::consistent::check_drawn(&name, &node)?;
                            }
                            compiled.push(Field { name, node, per });
                        }
                        self.depth -= 1;
                        Kind::Record { fields: compiled }
                    }
                    (_, "enum") => Kind::Enum {
                        symbols: object
                            .get("symbols")
                            .and_then(Value::as_array)
                            .map(|s| s.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                            .unwrap_or_default(),
                    },
                    (_, "array") => {
                        let items = object.get("items").cloned().unwrap_or(Value::Null);
                        Kind::Array(Box::new(self.compile(&items, field, false, Hints::default())?))
                    }
                    (_, "map") => {
                        let values = object.get("values").cloned().unwrap_or(Value::Null);
                        Kind::Map(Box::new(self.compile(&values, field, false, Hints::default())?))
                    }
                    (_, "fixed") => Kind::Fixed {
                        size: object.get("size").and_then(Value::as_u64).unwrap_or(0) as usize,
                    },
                    // A primitive written as an object, possibly with an unknown logical type.
                    (_, primitive) => self.named_kind(primitive, field)?,
                }
            }
            _ => return Err(unsupported(field, &schema.to_string())),
        })
    }

    fn named_kind(&mut self, name: &str, field: &str) -> Result<Kind, GeneratorError> {
        Ok(match name {
            "null" => Kind::Null,
            "boolean" => Kind::Boolean,
            "int" => Kind::Int,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "bytes" => Kind::Bytes,
            "string" => Kind::String,
            other => match self.named.get(other).cloned() {
                Some(definition) => self.kind(&definition, field)?,
                None => return Err(unsupported(field, other)),
            },
        })
    }

    fn strategy(&mut self, field: &str, kind: &Kind, first: bool, hints: &Hints) -> Result<Strategy, GeneratorError> {
        let distribution = match hints.distribution.as_deref() {
            Some("normal") => Distribution::Normal,
            Some("zipf") => Distribution::Zipf(zipf_table(
                hints.key_space.unwrap_or(1000),
                hints.zipf_exponent.unwrap_or(1.0),
            )),
            _ => Distribution::Uniform,
        };
        if hints.hit_ratio.is_some() && hints.references.is_none() {
            return Err(GeneratorError {
                message: format!("field `{field}`: `hit_ratio` without `references`"),
                hint: "a hit ratio is the share of values found in the referenced table: add `references`".into(),
            });
        }
        if hints.follows.is_none() && (hints.delay.is_some() || hints.share.is_some()) {
            return Err(GeneratorError {
                message: format!("field `{field}`: `delay` or `share` without `follows`"),
                hint: "they say when and how often a record follows another table's: add `follows`".into(),
            });
        }
        if self.depth == 1 && self.given.as_deref() == Some(field) {
            if !matches!(kind, Kind::Int | Kind::Long | Kind::String | Kind::Uuid) {
                return Err(GeneratorError {
                    message: format!("field `{field}` is a key, but not a non-null int, long or string"),
                    hint: "make the key field a long, an int or a string".into(),
                });
            }
            return Ok(Strategy::Given);
        }
        let strategy = if let Some(leader) = &hints.follows {
            self.follower(field, kind, leader, hints)?
        } else if let Some(reference) = &hints.references {
            let domain = self.references.domain(reference, &format!("field `{field}`"))?;
            let fits = matches!(
                (&domain, kind),
                (
                    KeyDomain::Numbers { .. } | KeyDomain::Options(_),
                    Kind::Int | Kind::Long | Kind::String
                ) | (KeyDomain::Prefixed { .. }, Kind::String)
            );
            if !fits {
                return Err(GeneratorError {
                    message: format!("field `{field}` references `{reference}`, whose values it cannot hold"),
                    hint: "a referencing field is a non-null int, long or string, as the referenced key is".into(),
                });
            }
            Strategy::Reference {
                domain: Arc::new(domain),
                hit_ratio: hints.hit_ratio.unwrap_or(1.0),
            }
        } else if let Some(options) = &hints.options {
            Strategy::Options(options.clone().into())
        } else if let Some((start, step)) = hints.iteration {
            Strategy::Sequence { start, step, id: 0 }
        } else if let Some(space) = hints.key_space {
            let prefix = matches!(kind, Kind::String)
                .then(|| Arc::from(field.chars().next().unwrap_or('K').to_ascii_uppercase().to_string()));
            Strategy::Key {
                space,
                distribution,
                prefix,
            }
        } else if let Some((min, max)) = hints.range.or(hints.length) {
            Strategy::Range { min, max, distribution }
        } else if matches!(kind, Kind::Union { .. } | Kind::Record { .. }) {
            Strategy::Plain
        } else {
            let mut strategy = self.pools.strategy_for(field, kind, first);
            if let (Strategy::Key { distribution: d, .. }, Some(_)) = (&mut strategy, hints.distribution.as_ref()) {
                *d = distribution;
            }
            strategy
        };
        Ok(match strategy {
            Strategy::Sequence { start, step, .. } => {
                self.counters += 1;
                Strategy::Sequence {
                    start,
                    step,
                    id: self.counters - 1,
                }
            }
            other => other,
        })
    }
}

impl Compiler {
    /// A field holding the value a leader's record had (see [`crate::follow`]).
    fn follower(&mut self, field: &str, kind: &Kind, leader: &str, hints: &Hints) -> Result<Strategy, GeneratorError> {
        let refuse = |message: String, hint: &str| GeneratorError {
            message: format!("field `{field}`: {message}"),
            hint: hint.to_owned(),
        };
        if self.depth != 1 {
            return Err(refuse(
                "`follows` on a nested field".into(),
                "a record follows another: put `follows` on a top-level field",
            ));
        }
        if let Some(other) = &self.follows {
            return Err(refuse(
                format!("`follows` on a second field (`{}` already follows)", other.field),
                "a record follows one record of one table: keep one `follows`",
            ));
        }
        if hints.references.is_some() {
            return Err(refuse(
                "`follows` and `references` together".into(),
                "a follower's value is its leader's: drop `references`",
            ));
        }
        if !matches!(kind, Kind::Int | Kind::Long | Kind::String | Kind::Uuid) {
            return Err(refuse(
                format!("`follows` on a field that cannot hold `{leader}`'s key"),
                "a following field is a non-null int, long or string, as the leader's key is",
            ));
        }
        let (table, leader_field) = leader.split_once('.').ok_or_else(|| {
            refuse(
                format!("`follows` names `{leader}`, which is not `table.field`"),
                "name the leading table's key field, such as \"orders.order_id\"",
            )
        })?;
        self.follows = Some(FollowSpec {
            leader: table.to_owned(),
            leader_field: leader_field.to_owned(),
            field: field.to_owned(),
            numeric: matches!(kind, Kind::Int | Kind::Long),
            delay: hints.delay.unwrap_or(crate::follow::DEFAULT_DELAY),
            share: hints.share.unwrap_or(1.0),
        });
        Ok(Strategy::Given)
    }
}

fn unsupported(field: &str, what: &str) -> GeneratorError {
    GeneratorError {
        message: format!("field `{field}`: cannot generate values of type {what}"),
        hint: "check the schema with `pipegen validate`".into(),
    }
}

/// Named types (records, enums, fixed) by full name and by short name.
fn collect_named(schema: &Value, namespace: Option<&str>, out: &mut HashMap<String, Value>) {
    match schema {
        Value::Object(object) => {
            let own_namespace = object.get("namespace").and_then(Value::as_str).or(namespace);
            if let (Some(Value::String(t)), Some(Value::String(name))) = (object.get("type"), object.get("name"))
                && matches!(t.as_str(), "record" | "error" | "enum" | "fixed")
            {
                out.insert(name.clone(), schema.clone());
                if let Some(ns) = own_namespace
                    && !name.contains('.')
                {
                    out.insert(format!("{ns}.{name}"), schema.clone());
                }
                if let Some(short) = name.rsplit('.').next() {
                    out.entry(short.to_owned()).or_insert_with(|| schema.clone());
                }
            }
            for value in object.values() {
                collect_named(value, own_namespace, out);
            }
            if let Some(Value::Array(fields)) = object.get("fields") {
                for field in fields {
                    if let Some(t) = field.get("type") {
                        collect_named(t, own_namespace, out);
                    }
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_named(i, namespace, out)),
        _ => {}
    }
}
