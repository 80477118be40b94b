//! Flink SQL types as Arrow types.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use pipegen_sql::{FlinkType, TypeKind};

use crate::error::EngineError;

fn unit(precision: u32) -> TimeUnit {
    match precision {
        0 => TimeUnit::Second,
        1..=3 => TimeUnit::Millisecond,
        4..=6 => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    }
}

pub fn arrow_type(ty: &FlinkType) -> Result<DataType, EngineError> {
    Ok(match &ty.kind {
        TypeKind::Boolean => DataType::Boolean,
        TypeKind::TinyInt => DataType::Int8,
        TypeKind::SmallInt => DataType::Int16,
        TypeKind::Int => DataType::Int32,
        TypeKind::BigInt => DataType::Int64,
        TypeKind::Float => DataType::Float32,
        TypeKind::Double => DataType::Float64,
        TypeKind::Decimal { precision, scale } => DataType::Decimal128(*precision as u8, *scale as i8),
        TypeKind::Char(_) | TypeKind::Varchar(_) | TypeKind::String => DataType::Utf8,
        TypeKind::Binary(_) | TypeKind::Varbinary(_) | TypeKind::Bytes => DataType::Binary,
        TypeKind::Date => DataType::Date32,
        TypeKind::Time(p) => match unit(*p) {
            TimeUnit::Second | TimeUnit::Millisecond => DataType::Time32(TimeUnit::Millisecond),
            other => DataType::Time64(other),
        },
        TypeKind::Timestamp(p) => DataType::Timestamp(unit(*p), None),
        TypeKind::TimestampLtz(p) => DataType::Timestamp(unit(*p), Some(Arc::from("UTC"))),
        TypeKind::Array(item) => DataType::List(Arc::new(Field::new("item", arrow_type(item)?, item.nullable))),
        TypeKind::Multiset(_) => return Err(EngineError::unsupported("MULTISET columns")),
        TypeKind::Map(k, v) => {
            let entries = Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", arrow_type(k)?, false),
                    Field::new("value", arrow_type(v)?, v.nullable),
                ])),
                false,
            );
            DataType::Map(Arc::new(entries), false)
        }
        TypeKind::Row(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| Ok(Field::new(&f.name, arrow_type(&f.data_type)?, f.data_type.nullable)))
                .collect::<Result<Vec<_>, EngineError>>()?
                .into(),
        ),
        TypeKind::Interval(text) => return Err(EngineError::unsupported(format!("{text} columns"))),
        TypeKind::Raw(_) => return Err(EngineError::unsupported("RAW columns")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_flink_types() {
        let t = |text: &str| arrow_type(&text.parse::<FlinkType>().unwrap()).unwrap();
        assert_eq!(t("BIGINT"), DataType::Int64);
        assert_eq!(t("DECIMAL(10, 2)"), DataType::Decimal128(10, 2));
        assert_eq!(t("TIMESTAMP(3)"), DataType::Timestamp(TimeUnit::Millisecond, None));
        assert_eq!(
            t("TIMESTAMP_LTZ(3)"),
            DataType::Timestamp(TimeUnit::Millisecond, Some(Arc::from("UTC")))
        );
        assert!(matches!(t("ROW<a INT, b STRING>"), DataType::Struct(f) if f.len() == 2));
        assert!(matches!(t("ARRAY<STRING>"), DataType::List(_)));
    }
}
