//! Which windows a row's event time falls into, for each window table function.

use pipegen_sql::{WindowShape, WindowTvf};

use crate::error::EngineError;

/// A window table function's shape, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    /// `TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])`
    Tumble { size: i64, offset: i64 },
    /// `HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset])`
    Hop { slide: i64, size: i64, offset: i64 },
    /// `CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset])`
    Cumulate { step: i64, size: i64, offset: i64 },
}

/// One window: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    /// The largest timestamp inside the window: it fires when the watermark reaches it.
    pub fn max_timestamp(&self) -> i64 {
        self.end - 1
    }
}

impl WindowSpec {
    pub fn from_tvf(tvf: &WindowTvf) -> Result<Self, EngineError> {
        Ok(match tvf.shape().map_err(EngineError::Invalid)? {
            WindowShape::Tumble { size, offset } => WindowSpec::Tumble { size, offset },
            WindowShape::Hop { slide, size, offset } => WindowSpec::Hop { slide, size, offset },
            WindowShape::Cumulate { step, size, offset } => WindowSpec::Cumulate { step, size, offset },
            WindowShape::Session { .. } => return Err(EngineError::unsupported("SESSION windows")),
        })
    }

    /// Calls `each` with every window containing `ts`, earliest end first.
    pub fn assign(&self, ts: i64, mut each: impl FnMut(Window)) {
        match *self {
            WindowSpec::Tumble { size, offset } => {
                let start = ts - (ts - offset).rem_euclid(size);
                each(Window {
                    start,
                    end: start + size,
                });
            }
            WindowSpec::Hop { slide, size, offset } => {
                let last_start = ts - (ts - offset).rem_euclid(slide);
                let mut start = last_start - size + slide;
                while start <= last_start {
                    each(Window {
                        start,
                        end: start + size,
                    });
                    start += slide;
                }
            }
            WindowSpec::Cumulate { step, size, offset } => {
                let start = ts - (ts - offset).rem_euclid(size);
                let mut end = start + ((ts - start) / step + 1) * step;
                while end <= start + size {
                    each(Window { start, end });
                    end += step;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(spec: WindowSpec, ts: i64) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        spec.assign(ts, |w| out.push((w.start, w.end)));
        out
    }

    #[test]
    fn tumbling_windows_hold_one_window_per_row() {
        let spec = WindowSpec::Tumble { size: 10, offset: 0 };
        assert_eq!(windows(spec, 0), [(0, 10)]);
        assert_eq!(windows(spec, 9), [(0, 10)]);
        assert_eq!(windows(spec, 10), [(10, 20)]);
        assert_eq!(windows(spec, -1), [(-10, 0)]);
        let shifted = WindowSpec::Tumble { size: 10, offset: 3 };
        assert_eq!(windows(shifted, 12), [(3, 13)]);
        assert_eq!(windows(shifted, 13), [(13, 23)]);
    }

    #[test]
    fn hopping_windows_overlap() {
        let spec = WindowSpec::Hop {
            slide: 5,
            size: 15,
            offset: 0,
        };
        assert_eq!(windows(spec, 7), [(-5, 10), (0, 15), (5, 20)]);
        assert_eq!(windows(spec, 10), [(0, 15), (5, 20), (10, 25)]);
    }

    #[test]
    fn cumulating_windows_grow_from_one_start() {
        let spec = WindowSpec::Cumulate {
            step: 10,
            size: 30,
            offset: 0,
        };
        assert_eq!(windows(spec, 0), [(0, 10), (0, 20), (0, 30)]);
        assert_eq!(windows(spec, 15), [(0, 20), (0, 30)]);
        assert_eq!(windows(spec, 29), [(0, 30)]);
        assert_eq!(windows(spec, 30), [(30, 40), (30, 50), (30, 60)]);
    }
}
