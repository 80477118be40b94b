//! Per-second counters of a run, allocated as the run reaches each second. Never sized by the
//! plan: a run planned for years costs nothing until it gets there.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Seconds allocated at a time.
const CHUNK: usize = 256;

#[derive(Default)]
pub(crate) struct Second {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub failed: AtomicU64,
    pub bytes: AtomicU64,
}

impl Second {
    fn is_empty(&self) -> bool {
        self.sent.load(Ordering::Relaxed) + self.acked.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
            == 0
    }
}

pub(crate) struct Seconds {
    /// The last second counted on its own; anything later is counted in it.
    last: usize,
    chunks: RwLock<Vec<Box<[Second]>>>,
}

impl Seconds {
    /// Counters for seconds `0..=last`.
    pub fn new(last: usize) -> Self {
        Self {
            last,
            chunks: RwLock::new(Vec::new()),
        }
    }

    /// Runs `f` on second `index` (the last one for any later index), allocating it if needed.
    pub fn with(&self, index: usize, f: impl FnOnce(&Second)) {
        let index = index.min(self.last);
        let (chunk, slot) = (index / CHUNK, index % CHUNK);
        if let Ok(chunks) = self.chunks.read()
            && let Some(seconds) = chunks.get(chunk)
        {
            return f(&seconds[slot]);
        }
        let Ok(mut chunks) = self.chunks.write() else { return };
        while chunks.len() <= chunk {
            chunks.push((0..CHUNK).map(|_| Second::default()).collect());
        }
        f(&chunks[chunk][slot]);
    }

    /// What `f` reads of second `index`, if the run has reached it.
    pub fn get<R>(&self, index: usize, f: impl FnOnce(&Second) -> R) -> Option<R> {
        if index > self.last {
            return None;
        }
        let chunks = self.chunks.read().ok()?;
        chunks.get(index / CHUNK).map(|seconds| f(&seconds[index % CHUNK]))
    }

    /// The sum of one counter over every second.
    pub fn total(&self, counter: fn(&Second) -> &AtomicU64) -> u64 {
        self.chunks.read().map_or(0, |chunks| {
            chunks
                .iter()
                .flat_map(|c| c.iter())
                .map(|s| counter(s).load(Ordering::Relaxed))
                .sum()
        })
    }

    /// The last second in which anything was sent, acknowledged or failed.
    pub fn last_active(&self) -> Option<usize> {
        let chunks = self.chunks.read().ok()?;
        chunks.iter().enumerate().rev().find_map(|(chunk, seconds)| {
            seconds
                .iter()
                .rposition(|s| !s.is_empty())
                .map(|slot| chunk * CHUNK + slot)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_only_the_seconds_reached_and_folds_later_ones_into_the_last() {
        let seconds = Seconds::new(usize::MAX / 2);
        seconds.with(3, |s| {
            s.sent.fetch_add(2, Ordering::Relaxed);
        });
        assert_eq!(seconds.chunks.read().unwrap().len(), 1);
        assert_eq!(seconds.get(3, |s| s.sent.load(Ordering::Relaxed)), Some(2));
        assert_eq!(seconds.get(CHUNK * 10, |_| ()), None);
        assert_eq!(seconds.last_active(), Some(3));

        let short = Seconds::new(5);
        short.with(1_000_000, |s| {
            s.failed.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(short.get(5, |s| s.failed.load(Ordering::Relaxed)), Some(1));
        assert_eq!(short.total(|s| &s.failed), 1);
    }
}
