//! The AVRO schema Flink's `avro` and `avro-confluent` formats derive from a table's physical
//! columns (Flink's `AvroSchemaConverter.convertToSchema`), written as Avro's Java library
//! prints it, so that a subject pipegen registers is the one Flink would register: records
//! named `org.apache.flink.avro.generated.record` (nested rows `record_<field>`), nullable
//! types as `["null", T]` with `"default": null` on their fields, TINYINT and SMALLINT as
//! `int`, decimals as `bytes`.

use serde_json::{Map, Value, json};

use crate::types::{FlinkType, RowField, TypeKind};

/// The namespace and name prefix of every record Flink derives.
const ROOT_NAMESPACE: &str = "org.apache.flink.avro.generated";
const ROOT_NAME: &str = "record";

/// A column type Flink cannot write in AVRO, with Flink's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AvroSchemaError {
    pub message: String,
}

fn refuse(message: impl Into<String>) -> AvroSchemaError {
    AvroSchemaError {
        message: message.into(),
    }
}

/// How timestamps map, Flink's `<format>.timestamp_mapping.legacy` (true by default): the
/// legacy mapping writes TIMESTAMP(p <= 3) as `timestamp-millis` and refuses TIMESTAMP_LTZ;
/// the new one writes TIMESTAMP as `local-timestamp-*` and TIMESTAMP_LTZ as `timestamp-*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampMapping {
    Legacy,
    Current,
}

/// The schema of a table whose physical columns are `columns`, as compact JSON.
pub fn flink_avro_schema(columns: &[RowField], mapping: TimestampMapping) -> Result<String, AvroSchemaError> {
    let record = record(columns, ROOT_NAME, Some(ROOT_NAMESPACE), mapping)?;
    Ok(record.to_string())
}

fn record(
    fields: &[RowField],
    name: &str,
    namespace: Option<&str>,
    mapping: TimestampMapping,
) -> Result<Value, AvroSchemaError> {
    let mut out = Map::new();
    out.insert("type".into(), json!("record"));
    out.insert("name".into(), json!(name));
    // Avro prints a namespace only where it differs from the enclosing record's.
    if let Some(namespace) = namespace {
        out.insert("namespace".into(), json!(namespace));
    }
    let fields = fields
        .iter()
        .map(|field| {
            let mut entry = Map::new();
            entry.insert("name".into(), json!(field.name));
            let nested = format!("{name}_{}", field.name);
            entry.insert("type".into(), schema(&field.data_type, &nested, mapping)?);
            if field.data_type.nullable {
                entry.insert("default".into(), Value::Null);
            }
            Ok(Value::Object(entry))
        })
        .collect::<Result<Vec<_>, AvroSchemaError>>()?;
    out.insert("fields".into(), Value::Array(fields));
    Ok(Value::Object(out))
}

fn logical(base: &str, logical: &str) -> Value {
    json!({"type": base, "logicalType": logical})
}

/// The schema of one type; `row_name` names the record a ROW type becomes.
fn schema(ty: &FlinkType, row_name: &str, mapping: TimestampMapping) -> Result<Value, AvroSchemaError> {
    let plain = match &ty.kind {
        TypeKind::Boolean => json!("boolean"),
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int => json!("int"),
        TypeKind::BigInt => json!("long"),
        TypeKind::Float => json!("float"),
        TypeKind::Double => json!("double"),
        TypeKind::Char(_) | TypeKind::Varchar(_) | TypeKind::String => json!("string"),
        TypeKind::Binary(_) | TypeKind::Varbinary(_) | TypeKind::Bytes => json!("bytes"),
        TypeKind::Date => logical("int", "date"),
        TypeKind::Time(p) if *p <= 3 => logical("int", "time-millis"),
        TypeKind::Time(p) => {
            return Err(refuse(format!(
                "Avro does not support TIME type with precision: {p}, it only supports precision less than 3."
            )));
        }
        TypeKind::Timestamp(p) => match mapping {
            TimestampMapping::Legacy if *p <= 3 => logical("long", "timestamp-millis"),
            TimestampMapping::Legacy => {
                return Err(refuse(format!(
                    "Avro does not support TIMESTAMP type with precision: {p}, it only supports precision less than 3."
                )));
            }
            TimestampMapping::Current => match p {
                0..=3 => logical("long", "local-timestamp-millis"),
                4..=6 => logical("long", "local-timestamp-micros"),
                7..=9 => logical("long", "local-timestamp-nanos"),
                _ => {
                    return Err(refuse(format!(
                        "Avro does not support LOCAL TIMESTAMP type with precision: {p}"
                    )));
                }
            },
        },
        TypeKind::TimestampLtz(p) => match mapping {
            TimestampMapping::Legacy => {
                return Err(refuse(format!(
                    "Unsupported to derive Schema for type: TIMESTAMP_LTZ({p}) (the legacy timestamp mapping \
                     has none; set 'timestamp_mapping.legacy' = 'false' on the format)"
                )));
            }
            TimestampMapping::Current => match p {
                0..=3 => logical("long", "timestamp-millis"),
                4..=6 => logical("long", "timestamp-micros"),
                7..=9 => logical("long", "timestamp-nanos"),
                _ => {
                    return Err(refuse(format!(
                        "Avro does not support TIMESTAMP type with precision: {p}"
                    )));
                }
            },
        },
        TypeKind::Decimal { precision, scale } => {
            json!({"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale})
        }
        TypeKind::Row(fields) => record(fields, row_name, None, mapping)?,
        // Flink's converter derives map values and array items with the legacy mapping.
        TypeKind::Map(key, value) => {
            if !matches!(key.kind, TypeKind::Char(_) | TypeKind::Varchar(_) | TypeKind::String) {
                return Err(refuse(format!(
                    "Avro format doesn't support non-string as key type of map. The key type is: {key}"
                )));
            }
            json!({"type": "map", "values": schema(value, row_name, TimestampMapping::Legacy)?})
        }
        TypeKind::Multiset(element) => {
            if !matches!(
                element.kind,
                TypeKind::Char(_) | TypeKind::Varchar(_) | TypeKind::String
            ) {
                return Err(refuse(format!(
                    "Avro format doesn't support non-string as key type of map. The key type is: {element}"
                )));
            }
            json!({"type": "map", "values": "int"})
        }
        TypeKind::Array(item) => json!({"type": "array", "items": schema(item, row_name, TimestampMapping::Legacy)?}),
        TypeKind::Interval(_) | TypeKind::Raw(_) => {
            return Err(refuse(format!("Unsupported to derive Schema for type: {ty}")));
        }
    };
    Ok(if ty.nullable { json!(["null", plain]) } else { plain })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: TypeKind, nullable: bool) -> RowField {
        RowField {
            name: name.into(),
            data_type: FlinkType { kind, nullable },
            comment: None,
        }
    }

    #[test]
    fn derives_what_flink_registers() {
        let columns = [
            field("id", TypeKind::BigInt, false),
            field("small", TypeKind::SmallInt, true),
            field(
                "amount",
                TypeKind::Decimal {
                    precision: 10,
                    scale: 2,
                },
                true,
            ),
            field("ts", TypeKind::Timestamp(3), true),
            field("addr", TypeKind::Row(vec![field("city", TypeKind::String, true)]), true),
        ];
        assert_eq!(
            flink_avro_schema(&columns, TimestampMapping::Legacy).unwrap(),
            concat!(
                r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":["#,
                r#"{"name":"id","type":"long"},"#,
                r#"{"name":"small","type":["null","int"],"default":null},"#,
                r#"{"name":"amount","type":["null",{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}],"default":null},"#,
                r#"{"name":"ts","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null},"#,
                r#"{"name":"addr","type":["null",{"type":"record","name":"record_addr","fields":["#,
                r#"{"name":"city","type":["null","string"],"default":null}]}],"default":null}]}"#
            )
        );
    }

    #[test]
    fn timestamp_mappings_follow_flinks_option() {
        let ltz = [field("t", TypeKind::TimestampLtz(3), false)];
        let err = flink_avro_schema(&ltz, TimestampMapping::Legacy).unwrap_err();
        assert!(err.message.contains("TIMESTAMP_LTZ(3)"), "{err}");
        assert!(
            flink_avro_schema(&ltz, TimestampMapping::Current)
                .unwrap()
                .contains(r#""logicalType":"timestamp-millis""#)
        );
        let local = [field("t", TypeKind::Timestamp(6), false)];
        assert!(
            flink_avro_schema(&local, TimestampMapping::Current)
                .unwrap()
                .contains("local-timestamp-micros")
        );
        assert!(flink_avro_schema(&local, TimestampMapping::Legacy).is_err());
    }
}
