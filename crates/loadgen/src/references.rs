//! Keys that join. A field whose hints say `"references": "users.user_id"` draws its values
//! from the values the `users` table's `user_id` field takes, so that a stream's keys find
//! their rows in another stream or a dimension table; with `"hit_ratio": 0.9`, one value in
//! ten is instead a value of the same shape that the referenced field never takes, so that a
//! share of joins and lookups miss on purpose.
//!
//! A referenced field's values are a bounded set: a bounded key (`key_space`, or the default
//! `*_id` key of 1,000 values), an integer `range`, `options`, or a sequence (`iteration`, or
//! a table's first field) over a table of a known number of rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::GeneratorError;
use crate::compile::Compiler;
use crate::node::{Kind, Strategy};
use crate::semantic::Pools;

/// The tables a generator's fields may reference: each one's schema, and how many rows it
/// holds when that is known (a dimension table pipegen fills); a stream's is not.
#[derive(Debug, Clone, Default)]
pub struct References {
    tables: BTreeMap<String, (String, Option<u64>)>,
}

impl References {
    /// Makes `table` (its AVRO schema's JSON) referable.
    pub fn add_table(&mut self, table: &str, schema_json: &str, rows: Option<u64>) {
        self.tables.insert(table.to_owned(), (schema_json.to_owned(), rows));
    }

    /// The values `reference` (`table.field`) takes.
    pub(crate) fn domain(&self, reference: &str, at: &str) -> Result<KeyDomain, GeneratorError> {
        let unknown = |why: String| GeneratorError {
            message: format!("{at}: `references` names `{reference}`, {why}"),
            hint: format!(
                "name a field of a table pipegen generates as `table.field`; tables: {}",
                if self.tables.is_empty() {
                    "none".to_owned()
                } else {
                    self.tables.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ),
        };
        let (table, field) = reference
            .split_once('.')
            .ok_or_else(|| unknown("which is not `table.field`".into()))?;
        let (schema_json, rows) = self
            .tables
            .get(table)
            .ok_or_else(|| unknown(format!("but pipegen generates no table `{table}`")))?;
        let schema: Value = serde_json::from_str(schema_json)
            .map_err(|e| unknown(format!("but the schema of `{table}` is not JSON: {e}")))?;
        let fields = schema
            .get("fields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let (first, definition) = fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.get("name").and_then(Value::as_str) == Some(field))
            .map(|(i, f)| (i == 0, f.clone()))
            .ok_or_else(|| unknown(format!("but `{table}` has no field `{field}`")))?;
        // The field compiled as its own table's generator compiles it: the same strategy.
        let pools = Pools::new(0);
        // A referenced field that itself references another table is not followed further.
        let mut compiler = Compiler::new(pools, &schema, References::default());
        let hints = crate::hints::Hints::read(&definition, field)?;
        let node = compiler.compile(&definition["type"], field, first, hints)?;
        let unbounded = || {
            unknown(format!(
                "whose values are not a bounded set (give it a `key_space`, an integer `range` or `options`{})",
                if rows.is_none() {
                    ", or make `{table}` a table of a known number of rows"
                } else {
                    ""
                }
            ))
        };
        let text = matches!(node.kind, Kind::String);
        let numbers = matches!(node.kind, Kind::Int | Kind::Long) || text;
        Ok(match (&node.strategy, numbers) {
            (Strategy::Key { space, prefix, .. }, _) => match prefix {
                Some(prefix) if text => KeyDomain::Prefixed {
                    prefix: prefix.to_string(),
                    count: *space,
                },
                _ => KeyDomain::Numbers {
                    start: 1,
                    step: 1,
                    count: *space,
                },
            },
            (Strategy::Sequence { start, step, .. }, true) => KeyDomain::Numbers {
                start: *start as i64,
                step: *step as i64,
                count: rows.ok_or_else(unbounded)?,
            },
            (Strategy::Range { min, max, .. }, true) if !text => KeyDomain::Numbers {
                start: min.ceil() as i64,
                step: 1,
                count: (max.ceil() - min.ceil()).max(1.0) as u64,
            },
            (Strategy::Options(options), _) => KeyDomain::Options(options.clone()),
            _ => return Err(unbounded()),
        })
    }
}

/// The most values [`References::members`] lists.
const MOST_MEMBERS: u64 = 10_000_000;

impl References {
    /// Every value `reference` (`table.field`) takes, as text: the keys a dimension table
    /// pipegen fills holds, one row each.
    pub fn members(&self, reference: &str) -> Result<Vec<String>, GeneratorError> {
        let domain = self.domain(reference, reference)?;
        let count = match &domain {
            KeyDomain::Numbers { count, .. } | KeyDomain::Prefixed { count, .. } => *count,
            KeyDomain::Options(options) => options.len() as u64,
        };
        if count > MOST_MEMBERS {
            return Err(GeneratorError {
                message: format!("`{reference}` takes {count} values, more than the {MOST_MEMBERS} rows pipegen fills"),
                hint: "give the key a smaller `range` or `key_space`".into(),
            });
        }
        Ok(match domain {
            KeyDomain::Numbers { start, step, count } => (0..count as i64)
                .map(|i| start.saturating_add(step.saturating_mul(i)).to_string())
                .collect(),
            KeyDomain::Prefixed { prefix, count } => (1..=count).map(|n| format!("{prefix}-{n:06}")).collect(),
            KeyDomain::Options(options) => options
                .iter()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .collect(),
        })
    }
}

/// The values a referenced field takes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyDomain {
    /// `start`, `start + step`, ...: `count` values.
    Numbers {
        start: i64,
        step: i64,
        count: u64,
    },
    /// `PREFIX-000001` to `PREFIX-{count}`, as a bounded string key writes them.
    Prefixed {
        prefix: String,
        count: u64,
    },
    Options(Arc<[Value]>),
}

/// One drawn key.
pub(crate) enum KeyValue<'a> {
    Number(i64),
    Text(String),
    Json(&'a Value),
}

impl KeyDomain {
    /// A member with probability `hit_ratio`, else a value of the same shape outside the set.
    pub fn draw(&self, rng: &mut Xoshiro256PlusPlus, hit_ratio: f64) -> KeyValue<'_> {
        let hit = hit_ratio >= 1.0 || rng.random_bool(hit_ratio.max(0.0));
        match self {
            KeyDomain::Numbers { start, step, count } => {
                let count = (*count).max(1);
                // A miss lies past the set's end, as far again as the set is long.
                let k = if hit {
                    rng.random_range(0..count)
                } else {
                    count + rng.random_range(0..count)
                };
                KeyValue::Number(start.saturating_add(step.saturating_mul(k as i64)))
            }
            KeyDomain::Prefixed { prefix, count } => {
                let count = (*count).max(1);
                let n = if hit {
                    rng.random_range(1..=count)
                } else {
                    count + rng.random_range(1..=count)
                };
                KeyValue::Text(format!("{prefix}-{n:06}"))
            }
            KeyDomain::Options(options) => {
                let chosen = &options[rng.random_range(0..options.len())];
                if hit {
                    return KeyValue::Json(chosen);
                }
                match chosen {
                    Value::Number(_) => {
                        let largest = options.iter().filter_map(Value::as_i64).max().unwrap_or(0);
                        KeyValue::Number(largest.saturating_add(1 + rng.random_range(0..options.len() as i64)))
                    }
                    other => KeyValue::Text(format!(
                        "{}-missing-{}",
                        other.as_str().map_or_else(|| other.to_string(), str::to_owned),
                        rng.random_range(0..1000)
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn references() -> References {
        let mut references = References::default();
        references.add_table(
            "users",
            r#"{"type": "record", "name": "User", "fields": [
                {"name": "user_id", "type": "long"},
                {"name": "code", "type": "string", "arg.properties": {"key_space": 50}},
                {"name": "region", "type": "string", "arg.properties": {"options": ["eu", "us"]}},
                {"name": "name", "type": "string"}
            ]}"#,
            Some(200),
        );
        references.add_table(
            "orders",
            r#"{"type": "record", "name": "Order", "fields": [
                {"name": "order_id", "type": "long"},
                {"name": "customer_id", "type": "long"}
            ]}"#,
            None,
        );
        references
    }

    #[test]
    fn a_referenced_field_gives_the_values_its_table_takes() {
        let references = references();
        assert_eq!(
            references.domain("users.user_id", "f").unwrap(),
            KeyDomain::Numbers {
                start: 1,
                step: 1,
                count: 200
            },
            "a table's first field counts its rows"
        );
        assert_eq!(
            references.domain("users.code", "f").unwrap(),
            KeyDomain::Prefixed {
                prefix: "C".into(),
                count: 50
            }
        );
        assert_eq!(
            references.domain("orders.customer_id", "f").unwrap(),
            KeyDomain::Numbers {
                start: 1,
                step: 1,
                count: 1000
            },
            "an `_id` field is a key of 1,000 values"
        );
        assert!(matches!(
            references.domain("users.region", "f"),
            Ok(KeyDomain::Options(_))
        ));
        for (reference, wanted) in [
            ("orders.order_id", "not a bounded set"),
            ("users.name", "not a bounded set"),
            ("payments.id", "generates no table `payments`"),
            ("users.nope", "has no field `nope`"),
            ("users", "not `table.field`"),
        ] {
            let error = references.domain(reference, "f").unwrap_err();
            assert!(error.message.contains(wanted), "{reference}: {}", error.message);
        }
    }

    #[test]
    fn a_tables_members_are_every_value_its_key_takes_once() {
        let references = references();
        let ids = references.members("users.user_id").unwrap();
        assert_eq!(ids.len(), 200);
        assert_eq!((ids[0].as_str(), ids[199].as_str()), ("1", "200"));
        let codes = references.members("users.code").unwrap();
        assert_eq!((codes.len(), codes[49].as_str()), (50, "C-000050"));
        assert_eq!(references.members("users.region").unwrap(), ["eu", "us"]);
        assert!(references.members("orders.order_id").is_err(), "unbounded");
    }

    #[test]
    fn hits_are_members_and_misses_are_not_in_the_share_asked() {
        let references = references();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for reference in ["users.user_id", "users.code", "users.region"] {
            let domain = references.domain(reference, "f").unwrap();
            let member = |value: &KeyValue| match (value, &domain) {
                (KeyValue::Number(n), KeyDomain::Numbers { count, .. }) => (1..=*count as i64).contains(n),
                (KeyValue::Text(t), KeyDomain::Prefixed { .. }) => t.as_str() <= "C-000050" && t.starts_with("C-"),
                (KeyValue::Json(_), KeyDomain::Options(_)) => true,
                _ => false,
            };
            let draws = 20_000;
            let hits = (0..draws).filter(|_| member(&domain.draw(&mut rng, 0.8))).count();
            let share = hits as f64 / draws as f64;
            assert!((share - 0.8).abs() < 0.02, "{reference}: {share}");
            assert!((0..1000).all(|_| member(&domain.draw(&mut rng, 1.0))), "{reference}");
        }
    }
}
