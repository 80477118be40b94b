//! Reading the user's files: every read is bounded, and a path that is not a readable file is
//! refused with a message that says what it is (a directory, a device, a dangling link, an empty
//! name) instead of the operating system's terse error or a read that never ends.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::Diagnostic;

const MIB: u64 = 1024 * 1024;

/// A kind of file pipegen reads, and the most of it that it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// For messages: "a configuration file".
    pub what: &'static str,
    pub limit: u64,
}

// Far above any real file of the kind, far below what would exhaust memory.
pub const CONFIG: Kind = Kind {
    what: "a configuration file",
    limit: 16 * MIB,
};
pub const SCHEMA: Kind = Kind {
    what: "an AVRO schema",
    limit: 16 * MIB,
};
pub const SQL: Kind = Kind {
    what: "a SQL file",
    limit: 16 * MIB,
};
/// Records pipegen wrote into a project (the deployment record).
pub const RECORD: Kind = Kind {
    what: "a record pipegen keeps",
    limit: 16 * MIB,
};
/// A run's JSON result: one frame per second of the run.
pub const RESULT: Kind = Kind {
    what: "a run's JSON result",
    limit: 512 * MIB,
};
/// CSV inference reads this much of a file and says so when there is more.
pub const CSV_SAMPLE: Kind = Kind {
    what: "a CSV file to infer its columns",
    limit: 64 * MIB,
};

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An empty path where a "file" or "directory" was expected.
    EmptyName(&'static str),
    NotFound,
    /// A symbolic link whose target does not exist.
    DanglingLink(PathBuf),
    /// A directory, socket, device or pipe where a file must be (`what` says which).
    NotAFile {
        what: String,
        regular_only: bool,
    },
    /// A file or anything else where a directory must be.
    NotADirectory {
        what: String,
    },
    TooLarge {
        kind: Kind,
        stream: Option<String>,
    },
    NotUtf8 {
        line: usize,
    },
    Io(String),
}

impl InputError {
    fn new(path: &Path, problem: Problem) -> Self {
        Self {
            path: path.to_path_buf(),
            problem,
        }
    }

    /// The file is simply not there (an optional file may be skipped).
    pub fn is_not_found(&self) -> bool {
        self.problem == Problem::NotFound
    }

    pub fn hint(&self) -> String {
        match &self.problem {
            Problem::EmptyName(_) => "give a path (an unset shell variable gives an empty name)".into(),
            Problem::NotFound | Problem::DanglingLink(_) => {
                "check the path; a relative path starts from the current directory".into()
            }
            Problem::NotAFile { regular_only: true, .. } => "give the path of a regular file".into(),
            Problem::NotAFile { .. } => "give the path of a file".into(),
            Problem::NotADirectory { .. } => "give the path of a directory".into(),
            Problem::TooLarge { kind, .. } => {
                format!("{} is far smaller: check that this is the file you meant", kind.what)
            }
            Problem::NotUtf8 { .. } => "save the file as UTF-8 text".into(),
            Problem::Io(_) => "check that the file is readable".into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.problem {
            Problem::EmptyName(what) => write!(f, "the {what} name is empty"),
            Problem::NotFound => write!(f, "{path} does not exist"),
            Problem::DanglingLink(target) => write!(
                f,
                "{path} is a symbolic link to {}, which does not exist",
                target.display()
            ),
            Problem::NotAFile { what, regular_only } => {
                let wanted = if *regular_only { "a regular file" } else { "a file" };
                write!(f, "{path} is {what}, not {wanted}")
            }
            Problem::NotADirectory { what } => write!(f, "{path} is {what}, not a directory"),
            Problem::TooLarge { kind, stream } => {
                let size = shown_size(kind.limit);
                write!(f, "{path} is larger than {size}")?;
                if let Some(stream) = stream {
                    write!(f, " ({stream})")?;
                }
                write!(f, "; pipegen reads at most {size} of {}", kind.what)
            }
            Problem::NotUtf8 { line } => write!(f, "{path} is not UTF-8 text (line {line})"),
            Problem::Io(message) => write!(f, "cannot read {path}: {message}"),
        }
    }
}

impl std::error::Error for InputError {}

impl From<&InputError> for Diagnostic {
    fn from(error: &InputError) -> Self {
        let d = Diagnostic::error(error.to_string()).with_hint(error.hint());
        match &error.problem {
            Problem::EmptyName(_) => d,
            _ => d.in_file(&error.path),
        }
    }
}

/// Reads a text file of `kind`: a regular file, or a pipe or character device (process
/// substitution, `/dev/stdin`, `/dev/null`), read as a stream until `kind.limit`.
pub fn read_text(path: &Path, kind: Kind) -> Result<String, InputError> {
    let (file, metadata) = open(path, false)?;
    if metadata.is_file() && metadata.len() > kind.limit {
        return Err(InputError::new(path, Problem::TooLarge { kind, stream: None }));
    }
    let stream = (!metadata.is_file()).then(|| describe(path, &metadata));
    read_bounded(file, path, kind, stream)
}

/// Reads a stream (standard input) of `kind`, named `name` in messages, until `kind.limit`.
pub fn read_stream(reader: impl Read, name: &Path, kind: Kind) -> Result<String, InputError> {
    read_bounded(reader, name, kind, Some("a stream".into()))
}

/// Opens a regular file, for callers that read it more than once or only in part (CSV).
pub fn open_regular(path: &Path) -> Result<(File, Metadata), InputError> {
    open(path, true)
}

/// Checks that `path` names an existing directory (following links).
pub fn check_dir(path: &Path) -> Result<(), InputError> {
    if path.as_os_str().is_empty() {
        return Err(InputError::new(path, Problem::EmptyName("directory")));
    }
    match fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(metadata) => {
            let what = describe(path, &metadata);
            Err(InputError::new(path, Problem::NotADirectory { what }))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(InputError::new(path, Problem::NotFound)),
        Err(e) => Err(InputError::new(path, Problem::Io(e.to_string()))),
    }
}

fn open(path: &Path, regular_only: bool) -> Result<(File, Metadata), InputError> {
    if path.as_os_str().is_empty() {
        return Err(InputError::new(path, Problem::EmptyName("file")));
    }
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(match fs::read_link(path) {
                Ok(target) => InputError::new(path, Problem::DanglingLink(target)),
                Err(_) => InputError::new(path, Problem::NotFound),
            });
        }
        Err(e) => return Err(InputError::new(path, Problem::Io(e.to_string()))),
    };
    if !metadata.is_file() && (regular_only || !is_stream(&metadata)) {
        let what = describe(path, &metadata);
        return Err(InputError::new(path, Problem::NotAFile { what, regular_only }));
    }
    let file = File::open(path).map_err(|e| InputError::new(path, Problem::Io(e.to_string())))?;
    Ok((file, metadata))
}

fn read_bounded(reader: impl Read, path: &Path, kind: Kind, stream: Option<String>) -> Result<String, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(kind.limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::new(path, Problem::Io(e.to_string())))?;
    if bytes.len() as u64 > kind.limit {
        return Err(InputError::new(path, Problem::TooLarge { kind, stream }));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        InputError::new(path, Problem::NotUtf8 { line })
    })
}

/// `16 MiB`, or bytes for a limit that is not a whole number of MiB.
pub fn shown_size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(unix)]
fn is_stream(metadata: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    metadata.file_type().is_fifo() || metadata.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_: &Metadata) -> bool {
    false
}

/// What is at `path`, given its metadata (followed through links, or the link's own when it
/// dangles): "a directory", "a symbolic link to /dev/zero, a character device".
pub fn describe(path: &Path, metadata: &Metadata) -> String {
    match fs::read_link(path) {
        Ok(target) if metadata.is_symlink() => {
            format!("a symbolic link to {}, which does not exist", target.display())
        }
        Ok(target) => format!("a symbolic link to {}, {}", target.display(), kind_name(metadata)),
        Err(_) => kind_name(metadata).to_owned(),
    }
}

fn kind_name(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    if file_type.is_file() {
        return "a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: Kind = Kind {
        what: "a test file",
        limit: 8,
    };

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pipegen-diag-input-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn reads_a_small_file() {
        let path = scratch("small.txt");
        fs::write(&path, "a: 1\n").unwrap();
        assert_eq!(read_text(&path, TINY).unwrap(), "a: 1\n");
        assert_eq!(read_text(Path::new("/dev/null"), TINY).unwrap(), "");
    }

    #[test]
    fn an_endless_device_stops_at_the_limit() {
        let err = read_text(Path::new("/dev/zero"), TINY).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero is larger than 8 bytes (a character device); pipegen reads at most 8 bytes of a test file"
        );
        let err = read_text(Path::new("/dev/zero"), CONFIG).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/dev/zero is larger than 16 MiB (a character device"),
            "{err}"
        );
    }

    #[test]
    fn a_large_file_is_refused_before_it_is_read() {
        let path = scratch("large.txt");
        fs::write(&path, "0123456789").unwrap();
        let err = read_text(&path, TINY).unwrap_err();
        assert_eq!(
            err.problem,
            Problem::TooLarge {
                kind: TINY,
                stream: None
            }
        );
        let err = read_stream(&b"0123456789"[..], Path::new("standard input"), TINY).unwrap_err();
        assert!(err.to_string().starts_with("standard input is larger than"), "{err}");
    }

    #[test]
    fn says_what_the_path_is() {
        assert_eq!(
            read_text(Path::new(""), TINY).unwrap_err().to_string(),
            "the file name is empty"
        );
        assert_eq!(
            check_dir(Path::new("/dev/null")).unwrap_err().to_string(),
            "/dev/null is a character device, not a directory"
        );
        assert!(check_dir(Path::new("/nonexistent")).unwrap_err().is_not_found());
        check_dir(Path::new("/")).unwrap();
        assert_eq!(
            read_text(Path::new("/"), TINY).unwrap_err().to_string(),
            "/ is a directory, not a file"
        );
        let missing = read_text(Path::new("/nonexistent/x"), TINY).unwrap_err();
        assert!(missing.is_not_found() && missing.to_string() == "/nonexistent/x does not exist");
        assert_eq!(
            open_regular(Path::new("/dev/zero")).unwrap_err().to_string(),
            "/dev/zero is a character device, not a regular file"
        );
        let link = scratch("dangling");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink("/nonexistent/target", &link).unwrap();
        let err = read_text(&link, TINY).unwrap_err();
        assert!(!err.is_not_found());
        assert!(
            err.to_string()
                .ends_with("is a symbolic link to /nonexistent/target, which does not exist")
        );
        let link = scratch("to-zero");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = open_regular(&link).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is a symbolic link to /dev/zero, a character device, not a regular file"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let path = scratch("latin1.txt");
        fs::write(&path, b"ok\nstill ok\ncaf\xe9\n").unwrap();
        let err = read_text(&path, CONFIG).unwrap_err();
        assert_eq!(err.problem, Problem::NotUtf8 { line: 3 });
        assert_eq!(Diagnostic::from(&err).file.as_deref(), Some(path.as_path()));
    }
}
