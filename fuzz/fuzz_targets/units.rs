//! Durations (`10s`, `1m30s`, `250ms`) and sizes (`64KiB`, `1MB`) as configs write them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipegen_config::{ByteSize, Duration};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(duration) = text.parse::<Duration>() {
        let _ = duration.as_std();
        let _ = duration.to_string().parse::<Duration>();
    }
    if let Ok(size) = text.parse::<ByteSize>() {
        let _ = size.bytes();
        let _ = size.to_string().parse::<ByteSize>();
    }
});
