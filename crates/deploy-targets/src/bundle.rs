//! A target's files, written all at once: staged in a directory beside the destination and
//! renamed into place, so a failure leaves the previous files (or none), never half of them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One file of a target, relative to the target's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleFile {
    pub path: PathBuf,
    pub text: String,
    /// Readable by its owner only (files meant to hold credentials).
    pub private: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Bundle {
    pub files: Vec<BundleFile>,
}

impl Bundle {
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.push(BundleFile {
            path: path.into(),
            text: text.into(),
            private: false,
        });
    }

    pub fn add_private(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.push(BundleFile {
            path: path.into(),
            text: text.into(),
            private: true,
        });
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.path == Path::new(path))
            .map(|f| f.text.as_str())
    }

    /// Replaces `dir` with exactly these files.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(parent)?;
        for file in &self.files {
            let path = staging.path().join(&file.path);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&path, &file.text)?;
            if file.private {
                restrict(&path)?;
            }
        }
        // The old directory moves aside first (a rename cannot replace a non-empty one), and
        // comes back if the new one cannot take its place.
        let previous = parent.join(format!(".{name}.previous-{}", std::process::id()));
        let had_previous = dir.exists();
        if had_previous {
            fs::rename(dir, &previous)?;
        }
        let staged = staging.keep();
        if let Err(e) = fs::rename(&staged, dir) {
            if had_previous {
                let _ = fs::rename(&previous, dir);
            }
            let _ = fs::remove_dir_all(&staged);
            return Err(e);
        }
        if had_previous {
            fs::remove_dir_all(&previous)?;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_replaces_the_whole_directory_and_leaves_no_staging_behind() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("deploy/compose");
        let mut first = Bundle::default();
        first.add("a.yaml", "a: 1\n");
        first.add("old/b.yaml", "b: 2\n");
        first.write(&dir).unwrap();
        let mut second = Bundle::default();
        second.add("a.yaml", "a: 3\n");
        second.add_private("secret.env", "KEY=\n");
        second.write(&dir).unwrap();
        assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "a: 3\n");
        assert!(!dir.join("old").exists(), "files of the previous write are gone");
        let left: Vec<_> = fs::read_dir(root.path().join("deploy")).unwrap().collect();
        assert_eq!(left.len(), 1, "only the target directory remains: {left:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("secret.env")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_destination_that_cannot_be_made_is_an_error_and_nothing_is_left() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("file"), "x").unwrap();
        let mut bundle = Bundle::default();
        bundle.add("a.yaml", "a: 1\n");
        assert!(bundle.write(&root.path().join("file/compose")).is_err());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }
}
