//! CPU and memory of the pipegen process, read from `/proc/self` (Linux); `None` elsewhere.

use std::time::Instant;

/// Linux reports CPU times in /proc in USER_HZ ticks, which is 100 on every architecture.
const USER_HZ: f64 = 100.0;

/// Turns cumulative CPU time into a percentage over each sampling interval.
pub struct ResourceSampler {
    previous: Option<(Instant, f64)>,
}

impl Default for ResourceSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl ResourceSampler {
    pub fn new() -> Self {
        Self {
            previous: cpu_seconds().map(|cpu| (Instant::now(), cpu)),
        }
    }

    /// CPU percent of one core since the previous sample, and the resident set size now.
    pub fn sample(&mut self) -> crate::frame::Resources {
        let now = Instant::now();
        let cpu = cpu_seconds();
        let cpu_percent = match (self.previous, cpu) {
            (Some((then, before)), Some(after)) => {
                let wall = now.duration_since(then).as_secs_f64();
                (wall > 0.0).then(|| (after - before).max(0.0) / wall * 100.0)
            }
            _ => None,
        };
        self.previous = cpu.map(|cpu| (now, cpu));
        crate::frame::Resources {
            cpu_percent,
            cpu_seconds_total: cpu,
            rss_bytes: resident_bytes(),
        }
    }
}

/// User plus system CPU time of this process, in seconds.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis
    // start at field 3, so utime and stime (fields 14 and 15) are the 12th and 13th.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / USER_HZ)
}

/// The resident set size of this process, in bytes.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_process_has_a_resident_size_and_cpu_time() {
        let rss = resident_bytes().expect("VmRSS on Linux");
        assert!(rss > 1024 * 1024, "a test process holds more than 1 MiB: {rss}");
        let mut sampler = ResourceSampler::new();
        let mut spin = 0u64;
        let started = Instant::now();
        while started.elapsed().as_millis() < 50 {
            spin = spin.wrapping_add(std::hint::black_box(1));
        }
        let sample = sampler.sample();
        let cpu = sample.cpu_percent.expect("measured on Linux");
        assert!((0.0..=100.0 * 64.0).contains(&cpu), "{cpu}");
        assert!(spin > 0);
    }
}
