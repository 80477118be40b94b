//! A run's frames as JSON lines in its reports dir while it goes, so that `pipegen dashboard`
//! in another terminal can follow it: a `start` line, one `frame` line per second, then a
//! `finished` line naming the JSON result, after which the run removes the file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::frame::{LiveFrame, PhaseBand};

/// The live file's name starts with this, then the run id.
pub const LIVE_FILE_PREFIX: &str = ".pipegen-live-";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LiveLine {
    Start {
        run_id: String,
        planned_s: u64,
        phases: Vec<PhaseBand>,
        /// The writing process, so that a file left by a killed run is known for what it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
    },
    Frame {
        frame: Box<LiveFrame>,
    },
    Finished {
        status: String,
        error: Option<String>,
        /// The run's JSON result, when it was written.
        result: Option<PathBuf>,
    },
}

/// The writing side, held by the run. Writing is best effort: a full disk costs followers
/// their view, never the run.
pub struct LiveFile {
    path: PathBuf,
    file: Option<std::fs::File>,
    /// The reports dir, when this file made it: a run that writes no report leaves none.
    made_dir: Option<PathBuf>,
}

impl LiveFile {
    pub fn create(reports_dir: &Path, start: &LiveLine) -> Self {
        let run_id = match start {
            LiveLine::Start { run_id, .. } => run_id.as_str(),
            _ => "run",
        };
        let path = reports_dir.join(format!("{LIVE_FILE_PREFIX}{run_id}.jsonl"));
        remove_stale_live_files(reports_dir);
        let made_dir = (!reports_dir.exists()).then(|| reports_dir.to_path_buf());
        let file = std::fs::create_dir_all(reports_dir)
            .and_then(|()| std::fs::File::create(&path))
            .map_err(|e| tracing::warn!(path = %path.display(), %e, "cannot write the live file"))
            .ok();
        let mut live = Self { path, file, made_dir };
        live.write(start);
        live
    }

    pub fn write(&mut self, line: &LiveLine) {
        let Some(file) = &mut self.file else { return };
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        if file.write_all(text.as_bytes()).and_then(|()| file.flush()).is_err() {
            self.file = None;
        }
    }

    /// Writes the last line and removes the file (a follower that opened it reads on).
    pub fn finish(mut self, line: &LiveLine) {
        self.write(line);
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = &self.made_dir {
            // Only if empty: the run's reports stay.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A live file untouched this long belongs to a run that died without finishing it (a run
/// writes a frame every second).
const STALE: std::time::Duration = std::time::Duration::from_secs(10);

/// Removes the live files of runs that died without finishing them (killed, or the machine
/// went down): untouched for longer than a running run allows, and their writer gone.
pub fn remove_stale_live_files(reports_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(reports_dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        let is_live = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(LIVE_FILE_PREFIX) && n.ends_with(".jsonl"));
        if is_live && is_stale(&path) && !writer_alive(&path) {
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!(path = %path.display(), "removed the live file of a run that died"),
                Err(e) => tracing::debug!(path = %path.display(), %e, "cannot remove a stale live file"),
            }
        }
    }
}

fn is_stale(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age >= STALE)
}

/// Whether the process named on the file's first line still runs (where the system tells:
/// Linux's `/proc`; elsewhere a stale file counts as its writer's end).
fn writer_alive(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    if std::io::BufReader::new(file.take(64 * 1024))
        .read_line(&mut first)
        .is_err()
    {
        return false;
    }
    let Ok(LiveLine::Start { pid: Some(pid), .. }) = serde_json::from_str(&first) else {
        return false;
    };
    let proc = Path::new("/proc");
    proc.is_dir() && proc.join(pid.to_string()).exists() && pid != std::process::id()
}

/// The live file of the newest run still going in `reports_dir`, if any.
pub fn newest_live_file(reports_dir: &Path) -> Option<PathBuf> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    std::fs::read_dir(reports_dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(LIVE_FILE_PREFIX) && n.ends_with(".jsonl"))
                && modified(p)
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age < STALE)
        })
        .max_by_key(|p| modified(p))
}

/// The reading side: complete lines as they are appended.
pub struct LiveReader {
    reader: std::io::BufReader<std::fs::File>,
    partial: String,
}

impl LiveReader {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            reader: std::io::BufReader::new(std::fs::File::open(path)?),
            partial: String::new(),
        })
    }

    /// The next complete line, `None` when none is complete yet; a line that does not read is
    /// an error naming it.
    pub fn next_line(&mut self) -> Result<Option<LiveLine>, String> {
        use std::io::BufRead;
        loop {
            let mut chunk = String::new();
            match self.reader.read_line(&mut chunk) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.partial.push_str(&chunk);
                    if !self.partial.ends_with('\n') {
                        // The writer is mid-line: the rest comes later.
                        continue;
                    }
                    let line = std::mem::take(&mut self.partial);
                    if line.trim().is_empty() {
                        continue;
                    }
                    return serde_json::from_str(&line)
                        .map(Some)
                        .map_err(|e| format!("a live line does not read ({e}): {}", line.trim()));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_written_are_read_back_even_after_the_file_is_removed() {
        let dir = std::env::temp_dir().join(format!("pipegen-live-test-{}", std::process::id()));
        let start = LiveLine::Start {
            run_id: "r1".into(),
            planned_s: 3,
            phases: Vec::new(),
            pid: Some(std::process::id()),
        };
        let mut file = LiveFile::create(&dir, &start);
        let path = newest_live_file(&dir).expect("the live file is there");
        let mut reader = LiveReader::open(&path).unwrap();
        assert_eq!(reader.next_line().unwrap(), Some(start));
        assert_eq!(reader.next_line().unwrap(), None, "nothing more yet");
        let finished = LiveLine::Finished {
            status: "succeeded".into(),
            error: None,
            result: Some(dir.join("r.json")),
        };
        file.write(&finished);
        file.finish(&finished);
        assert!(newest_live_file(&dir).is_none(), "removed at the end");
        assert_eq!(reader.next_line().unwrap(), Some(finished.clone()));
        assert_eq!(reader.next_line().unwrap(), Some(finished));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_live_file_left_by_a_dead_run_is_removed_and_one_of_a_running_run_kept() {
        let dir = std::env::temp_dir().join(format!("pipegen-live-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let old = std::time::SystemTime::now() - STALE - std::time::Duration::from_secs(5);
        let write_old = |name: &str, pid: u32| {
            let path = dir.join(format!("{LIVE_FILE_PREFIX}{name}.jsonl"));
            let line = LiveLine::Start {
                run_id: name.into(),
                planned_s: 3,
                phases: Vec::new(),
                pid: Some(pid),
            };
            std::fs::write(&path, format!("{}\n", serde_json::to_string(&line).unwrap())).unwrap();
            std::fs::File::options()
                .append(true)
                .open(&path)
                .unwrap()
                .set_modified(old)
                .unwrap();
            path
        };
        // A child that has exited: its pid names no process (until reused, which a test
        // cannot rule out, so a live parent's is used for the running case).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let dead = write_old("dead", dead_pid);
        let parent = write_old("running", std::os::unix::process::parent_id());
        let fresh = LiveFile::create(
            &dir,
            &LiveLine::Start {
                run_id: "new".into(),
                planned_s: 3,
                phases: Vec::new(),
                pid: Some(std::process::id()),
            },
        );
        assert!(!dead.exists(), "the dead run's live file is gone");
        assert!(parent.exists(), "a quiet run that still lives keeps its file");
        assert!(fresh.path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
