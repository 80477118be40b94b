//! An `.avsc` file's text into pipegen's schema model, then into Flink columns.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(schema) = pipegen_schema::avro::parse_schema(Path::new("fuzz.avsc"), text) else {
        return;
    };
    let _ = schema.full_name();
    let _ = schema.short_name();
    if let Ok(columns) = pipegen_schema::flink::flink_columns(&schema) {
        let _ = pipegen_schema::flink::event_time_candidates(&columns);
    }
});
