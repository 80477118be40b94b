//! Flink's functions the engine runs as its own, where DataFusion has none or one that gives
//! other values; one family per file. `translate` calls them by the names exported here.

mod array_agg;
mod cast;
mod decimal_avg;
mod flink_decimal;
mod greatest;
mod hash;
mod java_hash_order;
mod java_time;
mod json;
mod lag;
mod listagg;
mod logarithm;
mod proctime;
mod regexp;
mod rounding;
mod text;
mod timestamp_diff;
mod variance;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

pub use array_agg::{ARRAY_AGG, ARRAY_AGG_DISTINCT};
pub use cast::{CAST, TRY_CAST};
pub use decimal_avg::{avg_scale, decimal_avg_udaf};
pub use greatest::{GREATEST, LEAST};
pub use hash::HASH;
pub use java_hash_order::{MERGES_IN_HASH_ORDER, hashes as flink_hashes};
pub use java_time::{DATE_FORMAT, FROM_UNIXTIME, UNIX_TIMESTAMP};
pub use json::{IS_JSON, JSON_EXISTS, JSON_OBJECT, JSON_QUERY, JSON_VALUE, readable_path as readable_json_path};
pub use lag::LAG;
pub use listagg::LISTAGG_DISTINCT;
pub use logarithm::LOG10;
pub use proctime::PROCTIME;
pub use regexp::{REGEXP, REGEXP_EXTRACT, REGEXP_REPLACE, compile as compile_java_regex};
pub use rounding::{CEIL, FLOOR, ROUND, SIGN, TRUNCATE};
pub use text::{INITCAP, LOCATE};
pub use timestamp_diff::TIMESTAMPDIFF;
pub use variance::{STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP};

/// Makes the engine's own functions callable in the context's SQL.
pub fn register(ctx: &SessionContext) {
    for udf in [
        hash::udf(),
        text::initcap_udf(),
        text::locate_udf(),
        regexp::regexp_udf(),
        regexp::regexp_extract_udf(),
        regexp::regexp_replace_udf(),
        timestamp_diff::udf(),
        logarithm::udf(),
        proctime::udf(),
    ]
    .into_iter()
    .chain(cast::udfs())
    .chain(greatest::udfs())
    .chain(java_time::udfs())
    .chain(json::udfs())
    .chain(rounding::udfs())
    {
        ctx.register_udf(udf);
    }
    for udaf in [listagg::listagg_distinct_udaf(), lag::udaf()]
        .into_iter()
        .chain(array_agg::udafs())
        .chain(variance::udafs())
    {
        ctx.register_udaf(udaf);
    }
}

/// The arguments as arrays of `rows` values (a scalar repeated), each cast to `types[i]`.
fn arrays(args: &[ColumnarValue], types: &[DataType]) -> Result<Vec<ArrayRef>> {
    let rows = args
        .iter()
        .find_map(|a| match a {
            ColumnarValue::Array(array) => Some(array.len()),
            ColumnarValue::Scalar(_) => None,
        })
        .unwrap_or(1);
    args.iter()
        .zip(types)
        .map(|(arg, ty)| Ok(cast(&arg.clone().into_array(rows)?, ty)?))
        .collect()
}

/// A function of strings to a string, NULL when any argument is NULL (Flink's way for most
/// string functions); the arguments arrive as text.
fn string_udf(name: &str, arity: usize, f: impl Fn(&[&str]) -> Option<String> + Send + Sync + 'static) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Utf8; arity],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = arrays(args, &vec![DataType::Utf8; args.len()])?;
            let strings: Vec<&StringArray> = arrays.iter().map(|a| a.as_string::<i32>()).collect();
            let rows = arrays.first().map_or(0, |a| a.len());
            let mut values = Vec::with_capacity(arrays.len());
            let out: StringArray = (0..rows)
                .map(|row| {
                    values.clear();
                    for s in &strings {
                        if s.is_null(row) {
                            return None;
                        }
                        values.push(s.value(row));
                    }
                    f(&values)
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}
