//! Flink's `LOG10(x)`: the JVM's `Math.log10`, correctly rounded in practice, where the C
//! library's `log10` may be one unit off in the last place (LOG10(182.216) ends in ...505 in
//! Flink, ...5046 from glibc).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

pub const LOG10: &str = "pipegen_log10";

pub fn udf() -> ScalarUDF {
    create_udf(
        LOG10,
        vec![DataType::Float64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Float64])?;
            Ok(ColumnarValue::Array(log10(&arrays[0])?))
        }),
    )
}

fn log10(values: &ArrayRef) -> Result<ArrayRef> {
    let values = cast(values, &DataType::Float64)?;
    let logs: Float64Array = values
        .as_primitive::<Float64Type>()
        .iter()
        .map(|value| value.map(pxfm::f_log10))
        .collect();
    Ok(Arc::new(logs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Array;

    #[test]
    fn rounds_as_the_jvm_does() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![Some(182.216), Some(1000.0), Some(0.0), None]));
        let logs = log10(&values).unwrap();
        let logs = logs.as_primitive::<Float64Type>();
        assert_eq!(logs.value(0), 2.260586508787505);
        assert_eq!(logs.value(1), 3.0);
        assert_eq!(logs.value(2), f64::NEG_INFINITY);
        assert!(logs.is_null(3));
    }
}
