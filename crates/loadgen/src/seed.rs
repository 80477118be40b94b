//! Seeds derived from a run's one seed: stable across builds and platforms (FNV-1a, not the
//! standard library's randomly keyed hasher), so a seed gives the same data every time.

/// FNV-1a over `bytes`.
pub(crate) fn stable_hash(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The seed of `table`'s values in a run seeded `run_seed`: each table its own stream, so
/// two tables of one shape do not get the same values (a payment's id its order's).
pub fn table_seed(run_seed: u64, table: &str) -> u64 {
    run_seed ^ stable_hash(table.bytes())
}
