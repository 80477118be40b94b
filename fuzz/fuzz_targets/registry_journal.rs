//! Records of the registry's `_schemas` journal as another registry (or an attacker) may have
//! written them: the key up to the first NUL byte, the value after it (none: a tombstone).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipegen_registry::RawRecord;
use pipegen_registry::journal::Record;

fuzz_target!(|data: &[u8]| {
    let raw = match data.iter().position(|b| *b == 0) {
        Some(at) => RawRecord {
            key: data[..at].to_vec(),
            value: Some(data[at + 1..].to_vec()),
        },
        None => RawRecord {
            key: data.to_vec(),
            value: None,
        },
    };
    if let Ok(Some(record)) = Record::decode(&raw) {
        // What the registry would write back must read again.
        let _ = Record::decode(&record.encode());
    }
});
