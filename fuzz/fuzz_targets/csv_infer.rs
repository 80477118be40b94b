//! CSV inference over any bytes, then the AVRO schema and Flink table it suggests.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(inference) = pipegen_schema::csv::infer_csv_from_reader(Path::new("fuzz.csv"), data) else {
        return;
    };
    let _ = pipegen_schema::csv::avro_schema(&inference, "Row", "fuzz");
    let _ = pipegen_schema::csv::flink_csv_table(&inference);
});
