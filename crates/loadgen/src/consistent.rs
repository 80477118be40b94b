//! Fields consistent per key. `"per": "customer_id"` on a customer's `name` or `tier` draws
//! the value once per customer: whenever a record's `customer_id` is 42, its `name` is the
//! same. The value is drawn from a generator seeded by the run's shared seed, the field's name
//! and the key's value, so no table of values is kept, and two tables of one run with a field
//! of the same name and shape `per` the same key agree (an order's `customer_name` is the
//! customer's `customer_name` in every stream).

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::GeneratorError;
use crate::node::{Field, Node, Strategy};
use crate::seed::stable_hash;

/// The index of the earlier top-level field `key` that `field`'s values are drawn per.
pub(crate) fn resolve(field: &str, key: &str, earlier: &[Field], depth: usize) -> Result<usize, GeneratorError> {
    let refuse = |message: String, hint: String| GeneratorError {
        message: format!("field `{field}`: {message}"),
        hint,
    };
    if depth != 1 {
        return Err(refuse(
            "`per` on a nested field".into(),
            "put `per` on a top-level field, naming another top-level field".into(),
        ));
    }
    earlier.iter().position(|f| f.name == key).ok_or_else(|| {
        refuse(
            format!("`per` names `{key}`, which is not a field before it"),
            if earlier.is_empty() {
                "the key comes first: move the field after the one it is drawn per".into()
            } else {
                format!(
                    "name one of the fields before it ({}), or move the field after its key",
                    earlier.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            },
        )
    })
}

/// Refuses `per` on a field whose value is not drawn at random (nothing to hold still).
pub(crate) fn check_drawn(field: &str, node: &Node) -> Result<(), GeneratorError> {
    let what = match node.strategy {
        Strategy::Sequence { .. } => "counts up with every record",
        Strategy::EventTime => "is the record's event time",
        Strategy::Given => "is given for each record (a leader's, a row's key)",
        _ => return Ok(()),
    };
    Err(GeneratorError {
        message: format!("field `{field}`: `per` on a value that {what}"),
        hint: "`per` holds a drawn value still for each key: drop it here".into(),
    })
}

/// The generator a `per` field draws from for one key's value.
pub(crate) fn rng(shared_seed: u64, field: &str, key: &[u8]) -> Xoshiro256PlusPlus {
    let hash = stable_hash(field.bytes().chain([0xff]).chain(key.iter().copied()));
    Xoshiro256PlusPlus::seed_from_u64(shared_seed ^ hash)
}
