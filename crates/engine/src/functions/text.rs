//! Flink's string functions that DataFusion lacks or treats otherwise: `INITCAP` and `LOCATE`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Array};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

pub const INITCAP: &str = "pipegen_initcap";
/// `pipegen_locate(needle, haystack, from)`.
pub const LOCATE: &str = "pipegen_locate";

/// Flink's `INITCAP`: a word is a run of ASCII letters and digits, its first letter upper case
/// and the rest lower case; every other character, `ß` and `é` too, ends a word and is kept as
/// it is (`Straße` → `StraßE`).
pub fn initcap_udf() -> ScalarUDF {
    super::string_udf(INITCAP, 1, |args| Some(initcap(args[0])))
}

fn initcap(text: &str) -> String {
    let mut at_start = true;
    text.chars()
        .map(|c| {
            if !c.is_ascii_alphanumeric() {
                at_start = true;
                return c;
            }
            let out = if at_start {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            at_start = false;
            out
        })
        .collect()
}

/// Flink's `LOCATE(needle, haystack, from)`: the 1-based character position of the needle's
/// first occurrence at or after position `from`, 0 when there is none.
pub fn locate_udf() -> ScalarUDF {
    create_udf(
        LOCATE,
        vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Utf8, DataType::Utf8, DataType::Int64])?;
            let (needles, haystacks) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
            let froms = arrays[2].as_primitive::<Int64Type>();
            let positions: Int32Array = (0..needles.len())
                .map(|row| {
                    if needles.is_null(row) || haystacks.is_null(row) || froms.is_null(row) {
                        return None;
                    }
                    Some(locate(needles.value(row), haystacks.value(row), froms.value(row)))
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(positions)))
        }),
    )
}

fn locate(needle: &str, haystack: &str, from: i64) -> i32 {
    let skip = usize::try_from(from - 1).unwrap_or(0);
    let Some((start, _)) = haystack.char_indices().nth(skip) else {
        return 0;
    };
    haystack[start..]
        .find(needle)
        .map_or(0, |at| (skip + haystack[start..start + at].chars().count() + 1) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initcap_capitalizes_ascii_words_only() {
        assert_eq!(initcap("Straße"), "StraßE");
        assert_eq!(initcap("naïve café"), "NaïVe Café");
        assert_eq!(initcap("ITEM#42 qty=7"), "Item#42 Qty=7");
        assert_eq!(initcap("  leading"), "  Leading");
    }

    #[test]
    fn locate_counts_characters_from_one() {
        assert_eq!(locate("o", "path/to/file.csv", 1), 7);
        assert_eq!(locate("o", "path/to/file.csv", 8), 0);
        assert_eq!(locate("é", "café olé", 5), 8);
        assert_eq!(locate("x", "abc", 1), 0);
    }
}
