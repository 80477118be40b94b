//! Flink's `JSON_VALUE(json, path)`: the scalar at a JSON path (`$.a.b`, `$.items[0]`,
//! `$['a key']`) as a STRING; NULL when the text is not JSON, the path finds nothing, or it finds
//! an object or an array (Flink's default `NULL ON EMPTY` / `NULL ON ERROR`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use serde_json::Value;

pub fn json_value_udf() -> ScalarUDF {
    create_udf(
        "json_value",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let rows = args
                .iter()
                .find_map(|a| match a {
                    ColumnarValue::Array(array) => Some(array.len()),
                    ColumnarValue::Scalar(_) => None,
                })
                .unwrap_or(1);
            let texts = as_strings(&args[0].clone().into_array(rows)?)?;
            let paths = as_strings(&args[1].clone().into_array(rows)?)?;
            let values: StringArray = (0..rows)
                .map(|row| {
                    if texts.is_null(row) || paths.is_null(row) {
                        return None;
                    }
                    let json: Value = serde_json::from_str(texts.value(row)).ok()?;
                    scalar_text(find(&json, paths.value(row))?)
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(values)))
        }),
    )
}

fn as_strings(array: &ArrayRef) -> Result<StringArray> {
    let utf8 = cast(array, &DataType::Utf8)?;
    Ok(utf8
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .unwrap_or_else(|| StringArray::new_null(array.len())))
}

/// A scalar as Flink's JSON_VALUE returns it; objects and arrays are not scalars.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The value at a path (`$`, then `.name`, `['name']` or `[index]` steps).
fn find<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut here = json;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            here = here.get(&after[..end])?;
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let step = after[..end].trim();
            here = match step.strip_prefix(['\'', '"']).and_then(|s| s.strip_suffix(['\'', '"'])) {
                Some(name) => here.get(name)?,
                None => here.get(step.parse::<usize>().ok()?)?,
            };
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_scalars_and_nothing_else() {
        let json: Value = serde_json::from_str(r#"{"a":{"b":[10,{"c":"x"}]},"k y":true,"n":null}"#).unwrap();
        let at = |path: &str| find(&json, path).and_then(scalar_text);
        assert_eq!(at("$.a.b[0]").as_deref(), Some("10"));
        assert_eq!(at("$.a.b[1].c").as_deref(), Some("x"));
        assert_eq!(at("$['k y']").as_deref(), Some("true"));
        assert_eq!(at("$.a"), None, "an object is not a scalar");
        assert_eq!(at("$.n"), None);
        assert_eq!(at("$.missing"), None);
        assert_eq!(at("a.b"), None, "a path starts at $");
    }
}
