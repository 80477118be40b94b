//! The order in which Flink's window aggregation meets a partial accumulator's DISTINCT
//! values when it merges the partial into a window's accumulator: the partial keeps them in
//! a `java.util.HashMap` (a MapView), so they come in that map's iteration order, bucket by
//! bucket, each bucket in insertion order. The keys hash as Flink's internal data does
//! (a STRING is a `BinaryStringData`: MurmurHash3 of its UTF-8 bytes, seed 42).

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::scalar::ScalarValue;

/// The suffix of a DISTINCT list aggregate's state field saying how a merge takes its values:
/// `true` (a partial, as Flink merges it: hash order), `false` (a copy of a window's state,
/// which keeps its order). The window aggregation clears it where it copies a state.
pub const MERGES_IN_HASH_ORDER: &str = "[merges in hash order]";

/// Whether state row `row` is merged in hash order (a state without the flag is).
pub fn merges_in_hash_order(flag: Option<&ArrayRef>, row: usize) -> bool {
    flag.map(|f| f.as_boolean())
        .is_none_or(|f| f.is_null(row) || f.value(row))
}

/// The order in which Flink's merge takes a partial's distinct `values`.
pub fn merge_order(values: &[ScalarValue]) -> datafusion::error::Result<Vec<usize>> {
    let hashes = values
        .iter()
        .map(|v| {
            flink_hash(v).ok_or_else(|| {
                datafusion::error::DataFusionError::NotImplemented(format!(
                    "merging DISTINCT values of type {} as Flink does",
                    v.data_type()
                ))
            })
        })
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    Ok(hash_map_order(&hashes))
}

/// The positions of `hashes` (the keys' `hashCode()`, in insertion order) in the order a
/// `java.util.HashMap` holding them iterates (buckets of 8 or more keys, which Java turns
/// into trees, keep insertion order here).
pub fn hash_map_order(hashes: &[i32]) -> Vec<usize> {
    // A HashMap starts with 16 buckets and doubles when it holds more than 3/4 of them.
    let mut capacity: usize = 16;
    while hashes.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let bucket = |h: i32| {
        let h = h as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    order.sort_by_key(|&i| (bucket(hashes[i]), i));
    order
}

/// `hashCode()` of the value as Flink holds it internally, for the types whose hash is
/// known here (`None` for others); NULL hashes as a HashMap's null key, 0.
pub fn flink_hash(value: &ScalarValue) -> Option<i32> {
    Some(match value {
        _ if value.is_null() => 0,
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            binary_string_hash(s.as_bytes())
        }
        ScalarValue::Int32(Some(v)) => *v,
        ScalarValue::Int16(Some(v)) => i32::from(*v),
        ScalarValue::Int8(Some(v)) => i32::from(*v),
        ScalarValue::Int64(Some(v)) => (*v ^ ((*v as u64) >> 32) as i64) as i32,
        ScalarValue::Boolean(Some(b)) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        _ => return None,
    })
}

/// Whether [`flink_hash`] knows values of this type.
pub fn hashes(data_type: &datafusion::arrow::datatypes::DataType) -> bool {
    use datafusion::arrow::datatypes::DataType::*;
    matches!(
        data_type,
        Utf8 | LargeUtf8 | Utf8View | Int8 | Int16 | Int32 | Int64 | Boolean | Null
    )
}

/// Flink's `MurmurHashUtil.hashBytes`: MurmurHash3 (x86, 32 bit) over little-endian words,
/// the tail mixed byte by byte (each byte sign-extended), seed 42.
fn binary_string_hash(bytes: &[u8]) -> i32 {
    const SEED: u32 = 42;
    let mix_k1 = |k: u32| k.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593);
    let mix_h1 = |h: u32, k: u32| (h ^ k).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    let words = bytes.len() / 4 * 4;
    let mut h = SEED;
    for word in bytes[..words].chunks_exact(4) {
        h = mix_h1(h, mix_k1(u32::from_le_bytes([word[0], word[1], word[2], word[3]])));
    }
    for byte in &bytes[words..] {
        h = mix_h1(h, mix_k1(i32::from(*byte as i8) as u32));
    }
    h ^= bytes.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hash_as_flinks_binary_strings() {
        // Values Flink's MurmurHashUtil gives for these UTF-8 strings.
        assert_eq!(binary_string_hash(b"SHIPPED") as u32, 4_244_404_079);
        assert_eq!(binary_string_hash(b"CANCELLED") as u32, 3_702_689_213);
    }

    #[test]
    fn a_hash_map_iterates_by_bucket_then_insertion() {
        // Buckets 3, 4, 4, 15, 13 of a 16-bucket map.
        let hashes: Vec<i32> = ["PAID", "SHIPPED", "NEW", "CANCELLED", "REFUNDED"]
            .iter()
            .map(|s| binary_string_hash(s.as_bytes()))
            .collect();
        assert_eq!(hash_map_order(&hashes), vec![1, 0, 2, 4, 3]);
    }

    #[test]
    fn a_fuller_map_has_more_buckets() {
        // 29 and 13 share bucket 13 of 16 (insertion order), not of 32 (13 comes first).
        let with = |fillers: usize| {
            let mut hashes = vec![29, 13];
            hashes.extend(std::iter::repeat_n(31, fillers));
            hash_map_order(&hashes)[..2].to_vec()
        };
        assert_eq!(with(10), vec![0, 1]);
        assert_eq!(with(11), vec![1, 0]);
    }
}
