//! Flink interval literals as milliseconds: window sizes, watermark delays, state TTLs.

use sqlparser::ast::{DateTimeField, Expr, Value, ValueWithSpan};

/// The length of `INTERVAL '10' SECOND`, `INTERVAL '1.5' SECOND`, `INTERVAL '1:30' MINUTE TO
/// SECOND` or `INTERVAL '2' HOUR` in milliseconds; `None` for anything else (a negative, a
/// non-literal, a month or year interval, whose length in milliseconds is not fixed).
pub fn interval_millis(expr: &Expr) -> Option<i64> {
    let Expr::Interval(interval) = expr else {
        return match expr {
            Expr::Nested(inner) => interval_millis(inner),
            _ => None,
        };
    };
    let text = match interval.value.as_ref() {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => s.trim().to_string(),
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => n.clone(),
        _ => return None,
    };
    let leading = unit_millis(interval.leading_field.as_ref()?)?;
    let Some(last) = &interval.last_field else {
        let value: f64 = text.parse().ok()?;
        return (value >= 0.0).then(|| (value * leading as f64).round() as i64);
    };
    // `'1:30' MINUTE TO SECOND`, `'1 12' DAY TO HOUR`: the parts run from the leading unit to
    // the last one, each the next smaller unit.
    let last = unit_millis(last)?;
    let parts: Vec<&str> = text.split([':', ' ']).filter(|p| !p.is_empty()).collect();
    let units = units_between(leading, last)?;
    if parts.len() != units.len() {
        return None;
    }
    let mut total = 0f64;
    for (part, unit) in parts.iter().zip(units) {
        let value: f64 = part.parse().ok()?;
        if value < 0.0 {
            return None;
        }
        total += value * unit as f64;
    }
    Some(total.round() as i64)
}

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn unit_millis(field: &DateTimeField) -> Option<i64> {
    match field {
        DateTimeField::Millisecond | DateTimeField::Milliseconds => Some(1),
        DateTimeField::Second | DateTimeField::Seconds => Some(SECOND),
        DateTimeField::Minute | DateTimeField::Minutes => Some(MINUTE),
        DateTimeField::Hour | DateTimeField::Hours => Some(HOUR),
        DateTimeField::Day | DateTimeField::Days => Some(DAY),
        _ => None,
    }
}

fn units_between(leading: i64, last: i64) -> Option<Vec<i64>> {
    let all = [DAY, HOUR, MINUTE, SECOND];
    let from = all.iter().position(|u| *u == leading)?;
    let to = all.iter().position(|u| *u == last)?;
    (from <= to).then(|| all[from..=to].to_vec())
}

#[cfg(test)]
mod tests {
    use sqlparser::parser::Parser;

    use super::*;
    use crate::FlinkDialect;

    fn millis(text: &str) -> Option<i64> {
        let expr = Parser::new(&FlinkDialect)
            .try_with_sql(text)
            .unwrap()
            .parse_expr()
            .unwrap();
        interval_millis(&expr)
    }

    #[test]
    fn reads_flink_interval_literals() {
        assert_eq!(millis("INTERVAL '10' SECOND"), Some(10_000));
        assert_eq!(millis("INTERVAL '1.5' SECOND"), Some(1_500));
        assert_eq!(millis("INTERVAL '2' MINUTE"), Some(120_000));
        assert_eq!(millis("INTERVAL '1' HOUR"), Some(3_600_000));
        assert_eq!(millis("INTERVAL '1' DAY"), Some(86_400_000));
        assert_eq!(millis("INTERVAL '1:30' MINUTE TO SECOND"), Some(90_000));
        assert_eq!(millis("(INTERVAL '5' SECOND)"), Some(5_000));
    }

    #[test]
    fn refuses_what_has_no_fixed_length() {
        assert_eq!(millis("INTERVAL '1' MONTH"), None);
        assert_eq!(millis("INTERVAL '-1' SECOND"), None);
        assert_eq!(millis("INTERVAL 'x' SECOND"), None);
        assert_eq!(millis("5"), None);
    }
}
