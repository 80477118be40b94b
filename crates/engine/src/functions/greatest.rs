//! Flink's `GREATEST` and `LEAST`: NULL when any argument is NULL (DataFusion's skip NULLs),
//! the arguments taken at Flink's common type (DataFusion makes DOUBLE and DECIMAL a DECIMAL,
//! Flink a DOUBLE).

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::compute::kernels::cmp::{gt, lt};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{is_null, nullif, or};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::plan_err;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

pub const GREATEST: &str = "pipegen_greatest";
pub const LEAST: &str = "pipegen_least";

pub fn udfs() -> [ScalarUDF; 2] {
    [GREATEST, LEAST].map(|name| {
        ScalarUDF::from(Extreme {
            name,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Extreme {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for Extreme {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        common_type(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ty = args.return_type().clone();
        let types = vec![ty; args.args.len()];
        let arrays = super::arrays(&args.args, &types)?;
        let mut extreme: ArrayRef = arrays[0].clone();
        let mut any_null: BooleanArray = is_null(&arrays[0])?;
        for next in &arrays[1..] {
            let keep = if self.name == GREATEST {
                gt(&extreme, next)?
            } else {
                lt(&extreme, next)?
            };
            extreme = zip(&keep, &extreme, next)?;
            any_null = or(&any_null, &is_null(next)?)?;
        }
        Ok(ColumnarValue::Array(nullif(&extreme, &any_null)?))
    }
}

/// Flink's least restrictive type of the arguments.
fn common_type(types: &[DataType]) -> Result<DataType> {
    let Some(first) = types.first() else {
        return plan_err!("GREATEST and LEAST take at least one argument");
    };
    if types.iter().all(|t| t == first) {
        return Ok(first.clone());
    }
    if types
        .iter()
        .any(|t| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
    {
        return Ok(DataType::Utf8);
    }
    if types.iter().any(|t| matches!(t, DataType::Float64 | DataType::Float32)) {
        return Ok(DataType::Float64);
    }
    // Exact numbers: as many integer digits and as many fraction digits as the widest.
    let digits = |t: &DataType| match t {
        DataType::Decimal128(p, s) => Some((i16::from(*p) - i16::from(*s), i16::from(*s))),
        DataType::Int8 => Some((3, 0)),
        DataType::Int16 => Some((5, 0)),
        DataType::Int32 => Some((10, 0)),
        DataType::Int64 => Some((19, 0)),
        _ => None,
    };
    if types.iter().all(|t| digits(t).is_some()) {
        if types.iter().all(|t| t.is_integer()) {
            return Ok(types
                .iter()
                .max_by_key(|t| digits(t))
                .cloned()
                .unwrap_or(DataType::Int64));
        }
        let (whole, scale) = types
            .iter()
            .filter_map(digits)
            .fold((0, 0), |(w, s), (dw, ds)| (w.max(dw), s.max(ds)));
        return Ok(DataType::Decimal128((whole + scale).min(38) as u8, scale as i8));
    }
    Ok(first.clone())
}
