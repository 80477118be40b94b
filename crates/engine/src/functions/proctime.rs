//! Flink's `PROCTIME()`: the processing-time attribute, the wall-clock time at which a row is
//! processed (TIMESTAMP_LTZ(3)); here, the time its batch passes the projection.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::scalar::ScalarValue;

pub const PROCTIME: &str = "pipegen_proctime";

pub fn udf() -> ScalarUDF {
    create_udf(
        PROCTIME,
        vec![],
        DataType::Timestamp(TimeUnit::Millisecond, Some(Arc::from("UTC"))),
        Volatility::Volatile,
        Arc::new(|_args: &[ColumnarValue]| {
            let now = chrono::Utc::now().timestamp_millis();
            Ok(ColumnarValue::Scalar(ScalarValue::TimestampMillisecond(
                Some(now),
                Some(Arc::from("UTC")),
            )))
        }),
    )
}
