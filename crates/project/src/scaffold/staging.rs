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
    /// `replace_existing`, each generated file replaces its namesake and other files stay, and
    /// an existing project is left as it was when anything fails: what would not fit (a file
    /// where a directory must go, or the reverse) is found before anything is written, and a
    /// move that fails halfway is undone.
    pub fn commit(&self, target: &Path, replace_existing: bool) -> Result<(), CommitError> {
        let exists = target.exists();
        if exists {
            if !replace_existing {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "target exists").into());
            }
            self.check_fits(target)?;
        }
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
        if !exists {
            // One rename: the project appears complete. The temp dir guard then has nothing to drop.
            let staged = staging.keep();
            return fs::rename(&staged, target)
                .inspect_err(|_| {
                    let _ = fs::remove_dir_all(&staged);
                })
                .map_err(CommitError::from);
        }
        let mut moves = Moves::default();
        let moved = self.move_into(target, staging.path(), &mut moves);
        if moved.is_err() {
            moves.undo(target, staging.path());
        }
        moved.map_err(CommitError::from)
    }

    /// Every generated path fits the existing tree at `target`: its directories are
    /// directories (or absent) and it is not itself a directory.
    fn check_fits(&self, target: &Path) -> Result<(), CommitError> {
        let conflict = |path: PathBuf, metadata: &fs::Metadata, needs: &'static str, relative: &Path| {
            Err(CommitError::Conflict {
                what: pipegen_diag::input::describe(&path, metadata),
                path,
                needs,
                generated: relative.to_path_buf(),
            })
        };
        for (relative, _) in &self.files {
            let mut dir = target.to_path_buf();
            let mut components = relative.components().peekable();
            while let Some(component) = components.next() {
                dir.push(component);
                let last = components.peek().is_none();
                match (last, fs::metadata(&dir), fs::symlink_metadata(&dir)) {
                    // A link at a file's place is replaced, not followed.
                    (true, _, Ok(own)) if own.is_dir() => return conflict(dir, &own, "a file", relative),
                    (false, Ok(followed), _) if !followed.is_dir() => {
                        return conflict(dir, &followed, "a directory", relative);
                    }
                    (false, Err(_), Ok(own)) => return conflict(dir, &own, "a directory", relative),
                    (false, Err(_), Err(_)) => break,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn move_into(&self, target: &Path, staging: &Path, moves: &mut Moves) -> io::Result<()> {
        let replaced = staging.join(REPLACED);
        for (relative, _) in &self.files {
            let destination = target.join(relative);
            if let Some(dir) = relative.parent() {
                let mut path = target.to_path_buf();
                for component in dir.components() {
                    path.push(component);
                    if fs::symlink_metadata(&path).is_err() {
                        fs::create_dir(&path)?;
                        moves.created_dirs.push(path.clone());
                    }
                }
            }
            let had_old = fs::symlink_metadata(&destination).is_ok();
            if had_old {
                let kept = replaced.join(relative);
                if let Some(dir) = kept.parent() {
                    fs::create_dir_all(dir)?;
                }
                fs::rename(&destination, &kept)?;
            }
            moves.files.push((relative.clone(), had_old, false));
            fs::rename(staging.join(relative), &destination)?;
            if let Some(last) = moves.files.last_mut() {
                last.2 = true;
            }
        }
        Ok(())
    }
}

/// Where the files a commit replaces wait in the staging directory until it succeeds.
const REPLACED: &str = ".pipegen-replaced";

/// What a commit into an existing directory did so far, to undo it.
#[derive(Default)]
struct Moves {
    created_dirs: Vec<PathBuf>,
    /// Relative path, whether an old file was moved aside, whether the new one is in place.
    files: Vec<(PathBuf, bool, bool)>,
}

impl Moves {
    fn undo(&self, target: &Path, staging: &Path) {
        for (relative, had_old, new_in_place) in self.files.iter().rev() {
            let destination = target.join(relative);
            if *new_in_place {
                let _ = fs::remove_file(&destination);
            }
            if *had_old {
                let _ = fs::rename(staging.join(REPLACED).join(relative), &destination);
            }
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Something in the existing directory is in the way of a generated file.
    #[error("{} is {what}, where the project needs {needs} (for {})", path.display(), generated.display())]
    Conflict {
        path: PathBuf,
        what: String,
        needs: &'static str,
        generated: PathBuf,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
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

    fn tree(dir: &Path) -> Vec<(PathBuf, Option<String>)> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push((path.clone(), None));
                out.extend(tree(&path));
            } else {
                out.push((path.clone(), Some(fs::read_to_string(&path).unwrap())));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn what_does_not_fit_is_refused_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("demo");
        fs::create_dir_all(target.join("README.md")).unwrap();
        fs::write(target.join("a.txt"), "old").unwrap();
        fs::write(target.join("sql"), "a file").unwrap();
        let before = tree(tmp.path());
        let mut staged = Staged::default();
        staged.text("a.txt", "new");
        staged.text("sql/x.sql", "SELECT 1;");
        let err = staged.commit(&target, true).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("demo/sql is a regular file, where the project needs a directory (for sql/x.sql)"),
            "{err}"
        );
        let mut staged = Staged::default();
        staged.text("a.txt", "new");
        staged.text("README.md", "new");
        let err = staged.commit(&target, true).unwrap_err();
        assert!(
            err.to_string()
                .contains("demo/README.md is a directory, where the project needs a file"),
            "{err}"
        );
        assert_eq!(tree(tmp.path()), before);
    }

    #[test]
    fn a_move_that_fails_halfway_is_undone() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("demo");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("a.txt"), "old a").unwrap();
        fs::write(target.join("b.txt"), "old b").unwrap();
        let before = tree(&target);
        let staging = tmp.path().join("staging");
        fs::create_dir_all(staging.join("sub")).unwrap();
        fs::write(staging.join("a.txt"), "new a").unwrap();
        fs::write(staging.join("sub/c.txt"), "new c").unwrap();
        // b.txt is missing from the staging directory: its move fails after the others.
        let mut staged = Staged::default();
        staged.text("a.txt", "");
        staged.text("sub/c.txt", "");
        staged.text("b.txt", "");
        let mut moves = Moves::default();
        assert!(staged.move_into(&target, &staging, &mut moves).is_err());
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "new a");
        moves.undo(&target, &staging);
        assert_eq!(tree(&target), before);
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
