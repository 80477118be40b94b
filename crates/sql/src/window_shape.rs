//! A window table function's sizes, read and checked once: the embedded engine runs the shape,
//! `validate` reports the same problems before anything runs.

use crate::analysis::{WindowKind, WindowTvf};
use crate::interval::interval_millis;

/// A window's sizes in milliseconds, each positive, as Flink requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowShape {
    /// `TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])`
    Tumble { size: i64, offset: i64 },
    /// `HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset])`
    Hop { slide: i64, size: i64, offset: i64 },
    /// `CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset])`
    Cumulate { step: i64, size: i64, offset: i64 },
    /// `SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), gap)`
    Session { gap: i64 },
}

impl WindowTvf {
    /// The window's shape, or what Flink would refuse in its sizes.
    pub fn shape(&self) -> Result<WindowShape, String> {
        let name = format!("{:?}", self.kind).to_uppercase();
        let sizes = self
            .sizes
            .iter()
            .map(|e| interval_millis(e).ok_or_else(|| format!("{name}: `{e}` is not a day-time interval literal")))
            .collect::<Result<Vec<_>, _>>()?;
        let positive = |value: i64, what: &str| {
            if value > 0 {
                Ok(value)
            } else {
                Err(format!("{name}: the {what} must be positive"))
            }
        };
        let arity = |expected: &str| format!("{name} takes {expected}, got {} sizes", sizes.len());
        match self.kind {
            WindowKind::Tumble => match sizes.as_slice() {
                [size] => Ok(WindowShape::Tumble {
                    size: positive(*size, "size")?,
                    offset: 0,
                }),
                [size, offset] => Ok(WindowShape::Tumble {
                    size: positive(*size, "size")?,
                    offset: *offset,
                }),
                _ => Err(arity("a size and an optional offset")),
            },
            WindowKind::Hop | WindowKind::Cumulate => {
                let (first, size, offset) = match sizes.as_slice() {
                    [first, size] => (*first, *size, 0),
                    [first, size, offset] => (*first, *size, *offset),
                    _ => return Err(arity("a slide (or step), a size and an optional offset")),
                };
                let first = positive(first, if self.kind == WindowKind::Hop { "slide" } else { "step" })?;
                let size = positive(size, "size")?;
                if size % first != 0 {
                    return Err(format!(
                        "{name}: the size ({size} ms) must be a whole multiple of the slide ({first} ms), as Flink requires"
                    ));
                }
                Ok(if self.kind == WindowKind::Hop {
                    WindowShape::Hop {
                        slide: first,
                        size,
                        offset,
                    }
                } else {
                    WindowShape::Cumulate {
                        step: first,
                        size,
                        offset,
                    }
                })
            }
            WindowKind::Session => match sizes.as_slice() {
                [gap] => Ok(WindowShape::Session {
                    gap: positive(*gap, "gap")?,
                }),
                _ => Err(arity("a gap")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Statement, parse_file, window_tvfs};

    fn shape(window: &str) -> Result<super::WindowShape, String> {
        let sql = format!("INSERT INTO o SELECT window_start FROM TABLE({window}) GROUP BY window_start, window_end;");
        let file = parse_file(std::path::Path::new("t.sql"), &sql).unwrap();
        let Statement::Insert(insert) = &file.statements[0].kind else {
            panic!()
        };
        window_tvfs(&insert.query)[0].shape()
    }

    #[test]
    fn sizes_flink_refuses_are_named() {
        let zero = shape("TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '0' SECOND)").unwrap_err();
        assert!(zero.contains("size must be positive"), "{zero}");
        let uneven = shape("HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '7' SECOND, INTERVAL '1' MINUTE)").unwrap_err();
        assert!(uneven.contains("whole multiple"), "{uneven}");
        let step = shape("CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '0' SECOND, INTERVAL '1' MINUTE)").unwrap_err();
        assert!(step.contains("step must be positive"), "{step}");
        assert_eq!(
            shape("TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)"),
            Ok(super::WindowShape::Tumble {
                size: 60_000,
                offset: 0
            })
        );
    }
}
