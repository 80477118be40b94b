//! AVRO to Flink SQL types, as Flink's avro format maps them (with its default, "legacy",
//! timestamp mapping: `timestamp-*` → TIMESTAMP, `local-timestamp-*` → TIMESTAMP_LTZ).

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::Name;

use crate::avro::{AvroSchema, find_quoted};
use crate::error::SchemaError;
use crate::shape::MAX_DEPTH;

/// A column Flink would declare for a record field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkColumn {
    pub name: String,
    /// Flink SQL type without top-level nullability, e.g. "ROW<`zip` STRING NOT NULL>".
    pub data_type: String,
    pub nullable: bool,
}

/// The columns of a schema's top-level record.
pub fn flink_columns(avro: &AvroSchema) -> Result<Vec<FlinkColumn>, SchemaError> {
    let schema = avro.schema();
    let Schema::Record(record) = schema else {
        return Err(SchemaError::new(avro.path(), "the top-level schema must be a record"));
    };
    let mut named = HashMap::new();
    remember_names(schema, &mut named);
    record
        .fields
        .iter()
        .map(|field| {
            let (data_type, nullable) = flink_type(&field.schema, &named, 0).map_err(|e| {
                SchemaError::new(avro.path(), format!("field \"{}\": {e}", field.name))
                    .at(find_quoted(avro.text(), &field.name), avro.text())
            })?;
            Ok(FlinkColumn {
                name: field.name.clone(),
                data_type,
                nullable,
            })
        })
        .collect()
}

/// Non-null TIMESTAMP(3) / TIMESTAMP_LTZ(3) columns, best event-time candidates first.
pub fn event_time_candidates(columns: &[FlinkColumn]) -> Vec<&FlinkColumn> {
    let mut candidates: Vec<&FlinkColumn> = columns
        .iter()
        .filter(|c| !c.nullable && (c.data_type == "TIMESTAMP(3)" || c.data_type == "TIMESTAMP_LTZ(3)"))
        .collect();
    candidates.sort_by_key(|c| event_time_rank(&c.name));
    candidates
}

/// Lower is more likely the event time, judging by the name.
pub(crate) fn event_time_rank(name: &str) -> u8 {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "event_time" | "eventtime" | "event_ts" => 0,
        "ts" | "timestamp" | "time" | "event_timestamp" => 1,
        _ if name.ends_with("_time") || name.ends_with("_ts") || name.ends_with("_timestamp") => 2,
        _ if name.ends_with("_at") => 3,
        _ => 4,
    }
}

fn remember_names<'a>(schema: &'a Schema, named: &mut HashMap<Name, &'a Schema>) {
    match schema {
        Schema::Record(r) => {
            named.insert(r.name.clone(), schema);
            r.fields.iter().for_each(|f| remember_names(&f.schema, named));
        }
        Schema::Enum(e) => {
            named.insert(e.name.clone(), schema);
        }
        Schema::Fixed(f) => {
            named.insert(f.name.clone(), schema);
        }
        Schema::Array(a) => remember_names(&a.items, named),
        Schema::Map(m) => remember_names(&m.types, named),
        Schema::Union(u) => u.variants().iter().for_each(|v| remember_names(v, named)),
        Schema::Decimal(d) => remember_names(&d.inner, named),
        _ => {}
    }
}

/// The Flink type of a schema and whether it is nullable. `depth` only guards the stack: a
/// parsed [`AvroSchema`] is never nested deeper than its shape check allows.
fn flink_type(schema: &Schema, named: &HashMap<Name, &Schema>, depth: usize) -> Result<(String, bool), String> {
    if depth > 4 * MAX_DEPTH {
        return Err(format!("types nest more than {MAX_DEPTH} levels deep"));
    }
    let element = |inner: &Schema| nested(inner, named, depth + 1);
    let plain = |t: &str| Ok((t.to_owned(), false));
    match schema {
        Schema::Null => Err("a field of type null alone carries no data; Flink has no column type for it".into()),
        Schema::Boolean => plain("BOOLEAN"),
        Schema::Int => plain("INT"),
        Schema::Long => plain("BIGINT"),
        Schema::Float => plain("FLOAT"),
        Schema::Double => plain("DOUBLE"),
        Schema::Bytes => plain("BYTES"),
        Schema::String | Schema::Uuid | Schema::Enum(_) => plain("STRING"),
        Schema::Fixed(f) => Ok((format!("BINARY({})", f.size), false)),
        Schema::Decimal(d) => Ok((format!("DECIMAL({}, {})", d.precision, d.scale), false)),
        Schema::BigDecimal => Err("big-decimal has no fixed precision; Flink needs DECIMAL(p, s)".into()),
        Schema::Date => plain("DATE"),
        Schema::TimeMillis => plain("TIME(3)"),
        Schema::TimeMicros => plain("TIME(6)"),
        Schema::TimestampMillis => plain("TIMESTAMP(3)"),
        Schema::TimestampMicros => plain("TIMESTAMP(6)"),
        Schema::TimestampNanos => plain("TIMESTAMP(9)"),
        Schema::LocalTimestampMillis => plain("TIMESTAMP_LTZ(3)"),
        Schema::LocalTimestampMicros => plain("TIMESTAMP_LTZ(6)"),
        Schema::LocalTimestampNanos => plain("TIMESTAMP_LTZ(9)"),
        Schema::Duration => plain("BINARY(12)"),
        Schema::Array(a) => Ok((format!("ARRAY<{}>", element(&a.items)?), false)),
        Schema::Map(m) => Ok((format!("MAP<STRING NOT NULL, {}>", element(&m.types)?), false)),
        Schema::Record(r) => {
            let fields = r
                .fields
                .iter()
                .map(|f| Ok(format!("`{}` {}", f.name, element(&f.schema)?)))
                .collect::<Result<Vec<_>, String>>()?;
            Ok((format!("ROW<{}>", fields.join(", ")), false))
        }
        Schema::Union(u) => {
            let non_null: Vec<&Schema> = u.variants().iter().filter(|v| !matches!(v, Schema::Null)).collect();
            match non_null.as_slice() {
                [only] => flink_type(only, named, depth + 1).map(|(t, _)| (t, u.is_nullable())),
                [] => Err("a union of only null carries no data".into()),
                _ => Err(format!(
                    "a union of {} non-null types; Flink's avro format reads only [\"null\", T] unions (use a record with one optional field per alternative)",
                    non_null.len()
                )),
            }
        }
        Schema::Ref { name } => match named.get(name) {
            Some(defined) => flink_type(defined, named, depth + 1),
            None => Err(format!("reference to undefined type {}", name.fullname(None))),
        },
    }
}

/// A type inside ARRAY/MAP/ROW, with nullability spelled out.
fn nested(schema: &Schema, named: &HashMap<Name, &Schema>, depth: usize) -> Result<String, String> {
    let (t, nullable) = flink_type(schema, named, depth)?;
    Ok(if nullable { t } else { format!("{t} NOT NULL") })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::avro::parse_schema;

    fn columns(fields: &str) -> Vec<(String, String, bool)> {
        let text = format!(r#"{{"type":"record","name":"E","fields":[{fields}]}}"#);
        let schema = parse_schema(Path::new("e.avsc"), &text).unwrap();
        flink_columns(&schema)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.data_type, c.nullable))
            .collect()
    }

    fn one(field_type: &str) -> (String, bool) {
        let c = columns(&format!(r#"{{"name":"f","type":{field_type}}}"#));
        (c[0].1.clone(), c[0].2)
    }

    #[test]
    fn maps_primitives_and_logical_types() {
        let cases = [
            (r#""boolean""#, "BOOLEAN"),
            (r#""int""#, "INT"),
            (r#""long""#, "BIGINT"),
            (r#""float""#, "FLOAT"),
            (r#""double""#, "DOUBLE"),
            (r#""bytes""#, "BYTES"),
            (r#""string""#, "STRING"),
            (r#"{"type":"fixed","name":"F","size":16}"#, "BINARY(16)"),
            (r#"{"type":"enum","name":"C","symbols":["A","B"]}"#, "STRING"),
            (
                r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#,
                "DECIMAL(10, 2)",
            ),
            (
                r#"{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":18,"scale":4}"#,
                "DECIMAL(18, 4)",
            ),
            (r#"{"type":"string","logicalType":"uuid"}"#, "STRING"),
            (r#"{"type":"int","logicalType":"date"}"#, "DATE"),
            (r#"{"type":"int","logicalType":"time-millis"}"#, "TIME(3)"),
            (r#"{"type":"long","logicalType":"time-micros"}"#, "TIME(6)"),
            (r#"{"type":"long","logicalType":"timestamp-millis"}"#, "TIMESTAMP(3)"),
            (r#"{"type":"long","logicalType":"timestamp-micros"}"#, "TIMESTAMP(6)"),
            (
                r#"{"type":"long","logicalType":"local-timestamp-millis"}"#,
                "TIMESTAMP_LTZ(3)",
            ),
            (
                r#"{"type":"long","logicalType":"local-timestamp-micros"}"#,
                "TIMESTAMP_LTZ(6)",
            ),
            (
                r#"{"type":"fixed","name":"Du","size":12,"logicalType":"duration"}"#,
                "BINARY(12)",
            ),
        ];
        for (avro, flink) in cases {
            assert_eq!(one(avro), (flink.to_owned(), false), "{avro}");
        }
    }

    #[test]
    fn maps_containers_and_nullability() {
        assert_eq!(one(r#"["null","string"]"#), ("STRING".into(), true));
        assert_eq!(one(r#"["long","null"]"#), ("BIGINT".into(), true));
        assert_eq!(
            one(r#"{"type":"array","items":"int"}"#),
            ("ARRAY<INT NOT NULL>".into(), false)
        );
        assert_eq!(
            one(r#"{"type":"array","items":["null","int"]}"#),
            ("ARRAY<INT>".into(), false)
        );
        assert_eq!(
            one(r#"{"type":"map","values":"double"}"#),
            ("MAP<STRING NOT NULL, DOUBLE NOT NULL>".into(), false)
        );
        assert_eq!(
            one(
                r#"{"type":"record","name":"A","fields":[{"name":"zip","type":"string"},{"name":"n","type":["null","int"]}]}"#
            ),
            ("ROW<`zip` STRING NOT NULL, `n` INT>".into(), false)
        );
        assert_eq!(
            one(
                r#"["null",{"type":"record","name":"B","fields":[{"name":"x","type":{"type":"array","items":"string"}}]}]"#
            ),
            ("ROW<`x` ARRAY<STRING NOT NULL> NOT NULL>".into(), true)
        );
    }

    #[test]
    fn resolves_references_to_named_types() {
        let c = columns(
            r#"{"name":"a","type":{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}},{"name":"b","type":["null","P"]}"#,
        );
        assert_eq!(c[1], ("b".into(), "ROW<`x` INT NOT NULL>".into(), true));
    }

    #[test]
    fn multi_branch_unions_are_explained() {
        let schema = parse_schema(
            Path::new("e.avsc"),
            r#"{"type":"record","name":"E","fields":[{"name":"u","type":["int","string"]}]}"#,
        )
        .unwrap();
        let err = flink_columns(&schema).unwrap_err();
        assert_eq!(err.path, Path::new("e.avsc"));
        assert_eq!(err.position.map(|p| p.line), Some(1));
        assert!(
            err.message.contains("field \"u\"") && err.message.contains("[\"null\", T]"),
            "{err:?}"
        );
    }

    #[test]
    fn picks_the_event_time() {
        let c = columns(
            r#"{"name":"created_at","type":{"type":"long","logicalType":"timestamp-millis"}},
               {"name":"maybe","type":["null",{"type":"long","logicalType":"timestamp-millis"}]},
               {"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}},
               {"name":"micros","type":{"type":"long","logicalType":"timestamp-micros"}}"#,
        );
        let cols: Vec<FlinkColumn> = c
            .into_iter()
            .map(|(name, data_type, nullable)| FlinkColumn {
                name,
                data_type,
                nullable,
            })
            .collect();
        let names: Vec<&str> = event_time_candidates(&cols).iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["event_time", "created_at"]);
    }
}
