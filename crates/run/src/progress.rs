//! The live progress line on standard error: rewritten in place on a terminal, a plain line
//! every few seconds otherwise, nothing with `-q`.

use std::io::Write;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    Quiet,
    /// Rewrite one line in place.
    Terminal,
    /// A new line every few seconds (logs, pipes).
    Plain,
}

pub struct Progress {
    style: ProgressStyle,
    printed: u64,
}

/// One moment of a run, as the line shows it.
pub struct Snapshot {
    pub elapsed: Duration,
    pub planned: Duration,
    pub phase: &'static str,
    pub target_rate: Option<u64>,
    pub achieved_rate: u64,
    pub sent: u64,
    pub consumed: u64,
    /// `run.expected_messages`, when set: the line shows how far along the results are.
    pub expected: Option<u64>,
    pub end_to_end_p99_ms: Option<f64>,
    pub errors: u64,
}

impl Progress {
    pub fn new(style: ProgressStyle) -> Self {
        Self { style, printed: 0 }
    }

    pub fn show(&mut self, s: &Snapshot) {
        let line = format!(
            "[{:>4}s/{}s] {:<9} target {:>7}/s  achieved {:>7}/s  sent {:>9}  consumed {:>9}{}  e2e p99 {:>9}  errors {}",
            s.elapsed.as_secs(),
            s.planned.as_secs(),
            s.phase,
            s.target_rate.map_or("max".to_string(), |r| r.to_string()),
            s.achieved_rate,
            s.sent,
            s.consumed,
            s.expected.filter(|n| *n > 0).map_or(String::new(), |n| format!(
                " ({:.0}%)",
                s.consumed as f64 * 100.0 / n as f64
            )),
            s.end_to_end_p99_ms.map_or("n/a".to_string(), |p| format!("{p:.1} ms")),
            s.errors
        );
        let mut err = std::io::stderr().lock();
        match self.style {
            ProgressStyle::Quiet => {}
            ProgressStyle::Terminal => {
                let _ = write!(err, "\r{line}\x1b[K");
                let _ = err.flush();
            }
            ProgressStyle::Plain => {
                if self.printed.is_multiple_of(5) {
                    let _ = writeln!(err, "{line}");
                }
            }
        }
        self.printed += 1;
    }

    /// Ends the in-place line before other output.
    pub fn finish(&self) {
        if self.style == ProgressStyle::Terminal && self.printed > 0 {
            eprintln!();
        }
    }
}
