//! Writing a project all at once: files are staged in a temporary directory beside the target
//! and moved into place only when every one of them was written, so a failure leaves nothing.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The files of a project about to be written, by path relative to the project root.
#[derive(Debug, Default)]
pub struct Staged {
    files: Vec<(PathBuf, StagedContent)>,
}

#[derive(Debug)]
enum StagedContent {
    Text(String),
    /// Streamed from a source file by a transform (e.g. a CSV copy), never held whole.
    Copy {
        from: PathBuf,
        transform: fn(&Path, &mut dyn io::Write) -> io::Result<()>,
    },
}

impl Staged {
    pub fn text(&mut self, path: impl Into<PathBuf>, content: impl Into<String>) {
        self.files.push((path.into(), StagedContent::Text(content.into())));
    }

    pub fn copy_with(
        &mut self,
        path: impl Into<PathBuf>,
        from: &Path,
        transform: fn(&Path, &mut dyn io::Write) -> io::Result<()>,
    ) {
        self.files.push((
            path.into(),
            StagedContent::Copy {
                from: from.to_path_buf(),
                transform,
            },
        ));
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(p, _)| p.as_path())
    }

    /// Writes everything under `target`. A new directory appears whole or not at all; with
    /// `replace_existing`, each generated file replaces its namesake and other files stay.
    pub fn commit(&self, target: &Path, replace_existing: bool) -> io::Result<()> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{file_name}.pipegen-"))
            .tempdir_in(&parent)?;
        for (relative, content) in &self.files {
            let path = staging.path().join(relative);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            match content {
                StagedContent::Text(text) => fs::write(&path, text)?,
                StagedContent::Copy { from, transform } => {
                    let mut out = io::BufWriter::new(fs::File::create(&path)?);
                    transform(from, &mut out)?;
                    io::Write::flush(&mut out)?;
                }
            }
        }
        if !target.exists() {
            // One rename: the project appears complete. The temp dir guard then has nothing to drop.
            let staged = staging.keep();
            return fs::rename(&staged, target).inspect_err(|_| {
                let _ = fs::remove_dir_all(&staged);
            });
        }
        if !replace_existing {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "target exists"));
        }
        for (relative, _) in &self.files {
            let destination = target.join(relative);
            if let Some(dir) = destination.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::rename(staging.path().join(relative), destination)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing_copy(_: &Path, out: &mut dyn io::Write) -> io::Result<()> {
        out.write_all(b"partial")?;
        Err(io::Error::other("disk on fire"))
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("demo");
        let mut staged = Staged::default();
        staged.text("a.txt", "hello");
        staged.copy_with("data/b.csv", Path::new("/nonexistent"), failing_copy);
        assert!(staged.commit(&target, false).is_err());
        assert!(!target.exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "staging dir left behind");
    }

    #[test]
    fn replacing_keeps_other_files() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("demo");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("mine.txt"), "keep").unwrap();
        fs::write(target.join("a.txt"), "old").unwrap();
        let mut staged = Staged::default();
        staged.text("a.txt", "new");
        staged.text("sql/x.sql", "SELECT 1;");
        staged.commit(&target, true).unwrap();
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "new");
        assert_eq!(fs::read_to_string(target.join("mine.txt")).unwrap(), "keep");
        assert!(target.join("sql/x.sql").exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
