//! Interval joins: a join whose condition bounds the two sides' times against each other
//! (`r.ts BETWEEN l.ts - INTERVAL '5' SECOND AND l.ts`) keeps each row only while rows of the
//! other side can still match it, as Flink's interval join does: once the other side's
//! watermark (its largest time seen minus the sources' out-of-orderness) is past the last
//! time a partner could have, the row leaves the state.

use datafusion::common::{JoinSide, ScalarValue};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_expr::split_conjunction;
use datafusion::physical_plan::joins::utils::JoinFilter;

/// `left.time + lower <= right.time <= left.time + upper`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalBounds {
    /// The time column's index in each side's rows.
    pub left_time: usize,
    pub right_time: usize,
    pub lower: i64,
    pub upper: i64,
}

impl IntervalBounds {
    /// The bounds a join filter sets, when it sets both between one time column per side.
    pub fn of(filter: &JoinFilter) -> Option<Self> {
        let mut lower: Option<(usize, usize, i64)> = None;
        let mut upper: Option<(usize, usize, i64)> = None;
        for conjunct in split_conjunction(filter.expression()) {
            let Some(binary) = conjunct.downcast_ref::<BinaryExpr>() else {
                continue;
            };
            let (Some((a, a_shift)), Some((b, b_shift))) = (shifted(binary.left()), shifted(binary.right())) else {
                continue;
            };
            let side = |column: usize| filter.column_indices().get(column).map(|c| (c.side, c.index));
            // a + a_shift (op) b + b_shift, turned into right - left (op') constant.
            let (op, left, right, constant) = match (side(a)?, side(b)?) {
                ((JoinSide::Right, r), (JoinSide::Left, l)) => (*binary.op(), l, r, b_shift - a_shift),
                ((JoinSide::Left, l), (JoinSide::Right, r)) => (binary.op().swap()?, l, r, a_shift - b_shift),
                _ => continue,
            };
            match op {
                Operator::GtEq | Operator::Gt => lower = Some((left, right, constant)),
                Operator::LtEq | Operator::Lt => upper = Some((left, right, constant)),
                _ => {}
            }
        }
        let (lower, upper) = (lower?, upper?);
        (lower.0 == upper.0 && lower.1 == upper.1).then_some(Self {
            left_time: lower.0,
            right_time: lower.1,
            lower: lower.2,
            upper: upper.2,
        })
    }

    /// Whether a row of `left` (or else right) side at `time` can still meet a partner, given
    /// the other side's watermark.
    pub fn still_needed(&self, left: bool, time: i64, other_watermark: i64) -> bool {
        if left {
            // Partners: right rows up to time + upper; later right rows are past the watermark.
            time.saturating_add(self.upper) >= other_watermark
        } else {
            time.saturating_sub(self.lower) >= other_watermark
        }
    }
}

/// A column of the filter's intermediate schema, shifted by a constant interval:
/// `c`, `c + INTERVAL ...`, `c - INTERVAL ...`.
fn shifted(expr: &std::sync::Arc<dyn PhysicalExpr>) -> Option<(usize, i64)> {
    if let Some(column) = expr.downcast_ref::<Column>() {
        return Some((column.index(), 0));
    }
    let binary = expr.downcast_ref::<BinaryExpr>()?;
    let column = binary.left().downcast_ref::<Column>()?;
    let millis = interval_millis(binary.right().downcast_ref::<Literal>()?.value())?;
    match binary.op() {
        Operator::Plus => Some((column.index(), millis)),
        Operator::Minus => Some((column.index(), -millis)),
        _ => None,
    }
}

fn interval_millis(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::IntervalMonthDayNano(Some(v)) if v.months == 0 => {
            Some(i64::from(v.days) * 86_400_000 + v.nanoseconds / 1_000_000)
        }
        ScalarValue::IntervalDayTime(Some(v)) => Some(i64::from(v.days) * 86_400_000 + i64::from(v.milliseconds)),
        ScalarValue::DurationMillisecond(Some(v)) => Some(*v),
        ScalarValue::DurationSecond(Some(v)) => Some(v * 1_000),
        _ => None,
    }
}
