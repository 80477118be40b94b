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

/// How Flink shares slices between the windows of a HOP or CUMULATE aggregation: each row
/// goes to one slice (a slide, or a step), and a window is its slices merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// A window is the merge of its `size / slide` slices, the last first.
    Hop { slide: i64, size: i64, offset: i64 },
    /// A window is its first slice's state, into which each later step's slice is merged as
    /// the step's window fires.
    Cumulate { step: i64, size: i64, offset: i64 },
}

impl Sharing {
    /// The slices' length: the local phase's trigger interval too.
    pub fn slice_size(&self) -> i64 {
        match *self {
            Sharing::Hop { slide, .. } => slide,
            Sharing::Cumulate { step, .. } => step,
        }
    }

    /// The end of the last window holding the slice ending at `slice_end`.
    pub fn last_window_end(&self, slice_end: i64) -> i64 {
        match *self {
            Sharing::Hop { slide, size, .. } => slice_end - slide + size,
            Sharing::Cumulate { size, .. } => self.window_start(slice_end) + size,
        }
    }

    /// The latest window end at or before `watermark + 1`: every window up to it has fired
    /// (whether or not it held rows).
    pub fn passed(&self, watermark: i64) -> i64 {
        let (length, offset) = match *self {
            Sharing::Hop { slide, offset, .. } => (slide, offset),
            Sharing::Cumulate { step, offset, .. } => (step, offset),
        };
        let next = watermark.saturating_add(1);
        next - (next - offset).rem_euclid(length)
    }

    /// A CUMULATE window's start, from any of its slices' (or windows') ends.
    pub fn window_start(&self, end: i64) -> i64 {
        match *self {
            Sharing::Hop { size, .. } => end - size,
            Sharing::Cumulate { size, offset, .. } => (end - 1) - (end - 1 - offset).rem_euclid(size),
        }
    }
}

impl WindowSpec {
    /// Flink's slices for this shape's aggregations: HOP and CUMULATE whose size is a multiple
    /// of the slide (step), as Flink's slicing requires.
    pub fn sharing(&self) -> Option<Sharing> {
        match *self {
            WindowSpec::Hop { slide, size, offset } if size % slide == 0 => Some(Sharing::Hop { slide, size, offset }),
            WindowSpec::Cumulate { step, size, offset } if size % step == 0 => {
                Some(Sharing::Cumulate { step, size, offset })
            }
            _ => None,
        }
    }

    /// The slice holding `ts` (HOP: its slide; CUMULATE: its step).
    pub fn slice_of(&self, ts: i64) -> Window {
        let (length, offset) = match *self {
            WindowSpec::Tumble { size, offset } => (size, offset),
            WindowSpec::Hop { slide, offset, .. } => (slide, offset),
            WindowSpec::Cumulate { step, offset, .. } => (step, offset),
        };
        let start = ts - (ts - offset).rem_euclid(length);
        Window {
            start,
            end: start + length,
        }
    }

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
