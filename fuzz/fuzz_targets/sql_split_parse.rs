//! The SQL front end on any text: the statement splitter, then the parser on the whole file
//! and on each statement alone. Errors are fine; panics, aborts and hangs are not.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.sql");
    if let Ok(statements) = pipegen_sql::split_statements(source) {
        for statement in &statements {
            let _ = pipegen_sql::parse_file_all(path, &statement.text);
        }
    }
    let _ = pipegen_sql::parse_file_all(path, source);
});
