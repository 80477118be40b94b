//! A project's `.pipegen.yaml` text through the whole loader: YAML, known keys, types and
//! validation (no user file, environment or flags).
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use pipegen_config::{CONFIG_FILE_NAME, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let options = LoadOptions {
        project_dir: PathBuf::from("fuzz-project"),
        ..LoadOptions::default()
    };
    let project_file = Path::new("fuzz-project").join(CONFIG_FILE_NAME);
    let _ = pipegen_config::load_with(&options, |path| {
        if path == project_file {
            Ok(text.to_owned())
        } else {
            Err(pipegen_diag::input::InputError {
                path: path.to_owned(),
                problem: pipegen_diag::input::Problem::NotFound,
            })
        }
    });
});
