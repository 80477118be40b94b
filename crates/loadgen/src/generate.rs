//! Walking the compiled schema once per record, drawing each value and handing it to a writer.

use std::fmt::Write as _;

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::node::{Distribution, Kind, Node, Strategy};
use crate::out::Out;
use crate::references::KeyValue;
use crate::semantic::{draw_key, normal};

/// Length of the random-letter text that sized strings are cut from.
const LETTERS: usize = 4096;

/// What one record's values depend on besides the schema.
pub(crate) struct Ctx {
    pub rng: Xoshiro256PlusPlus,
    pub counters: Vec<u64>,
    /// The record's intended send time, microseconds since the epoch.
    pub event_micros: i64,
    /// The value of the field the caller gives (`Strategy::Given`), as text.
    pub given: String,
    scratch: String,
    letters: String,
}

impl Ctx {
    pub fn new(mut rng: Xoshiro256PlusPlus, counters: usize) -> Self {
        let letters = (0..LETTERS)
            .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
            .collect();
        Self {
            rng,
            counters: vec![0; counters],
            event_micros: 0,
            given: String::new(),
            scratch: String::new(),
            letters,
        }
    }
}

pub(crate) fn write<O: Out>(node: &Node, ctx: &mut Ctx, out: &mut O) {
    match &node.kind {
        Kind::Null => out.null(),
        Kind::Boolean => match &node.strategy {
            Strategy::Options(options) => out.boolean(pick(options, ctx).as_bool().unwrap_or(false)),
            _ => out.boolean(ctx.rng.random()),
        },
        Kind::Int => out.int(integer(node, ctx).clamp(i32::MIN as i64, i32::MAX as i64) as i32),
        Kind::Long => out.long(integer(node, ctx)),
        Kind::Float => out.float(real(node, ctx) as f32),
        Kind::Double => out.double(real(node, ctx)),
        Kind::Bytes => {
            let len = length(node, ctx, 16);
            let bytes: Vec<u8> = (0..len).map(|_| ctx.rng.random()).collect();
            out.bytes(&bytes);
        }
        Kind::Fixed { size } => {
            let bytes: Vec<u8> = (0..*size).map(|_| ctx.rng.random()).collect();
            out.fixed(&bytes);
        }
        Kind::String => text(node, ctx, |s| out.string(s)),
        Kind::Uuid if matches!(node.strategy, Strategy::Given) => out.uuid(&ctx.given),
        Kind::Uuid => {
            let v: u128 = ctx.rng.random();
            // Version 4, variant 1.
            let v = (v & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
            // The uuid crate's hex writer, without the `format!` string per value that held
            // the embedded stack's find-max limit about a quarter lower.
            let mut text = uuid::Uuid::encode_buffer();
            out.uuid(uuid::Uuid::from_u128(v).hyphenated().encode_lower(&mut text));
        }
        Kind::Enum { symbols } => {
            let index = match &node.strategy {
                Strategy::Options(options) => {
                    let chosen = pick(options, ctx);
                    symbols
                        .iter()
                        .position(|s| Some(s.as_str()) == chosen.as_str())
                        .unwrap_or(0)
                }
                _ => ctx.rng.random_range(0..symbols.len().max(1)),
            };
            out.enum_symbol(index, symbols.get(index).map_or("", String::as_str));
        }
        Kind::Decimal {
            precision,
            scale,
            fixed,
        } => {
            let factor = 10f64.powi(*scale as i32);
            let limit = 10f64.powi((*precision as i32).min(18)) - 1.0;
            let unscaled = match node.strategy {
                Strategy::Plain => ctx.rng.random_range(0.0..limit.min(1e6)),
                _ => (real(node, ctx) * factor).round().clamp(-limit, limit),
            };
            out.decimal(unscaled as i128, *scale, *fixed);
        }
        Kind::Date => out.date(ctx.event_micros.div_euclid(86_400_000_000) as i32),
        Kind::TimeMillis => out.time_millis((ctx.event_micros.rem_euclid(86_400_000_000) / 1000) as i32),
        Kind::TimeMicros => out.time_micros(ctx.event_micros.rem_euclid(86_400_000_000)),
        Kind::Timestamp { micros, local } => {
            if *micros {
                out.timestamp_micros(ctx.event_micros, *local);
            } else {
                out.timestamp_millis(ctx.event_micros.div_euclid(1000), *local);
            }
        }
        Kind::Duration => out.duration(
            ctx.rng.random_range(0..12),
            ctx.rng.random_range(0..31),
            ctx.rng.random_range(0..86_400_000),
        ),
        Kind::Record { fields } => {
            out.begin_record(fields.len());
            for field in fields {
                out.field(&field.name);
                write(&field.node, ctx, out);
            }
            out.end_record();
        }
        Kind::Array(items) => {
            let len = length(node, ctx, 3);
            out.begin_array(len);
            for _ in 0..len {
                write(items, ctx, out);
            }
            out.end_array();
        }
        Kind::Map(values) => {
            let len = length(node, ctx, 3);
            out.begin_map(len);
            for i in 0..len {
                ctx.scratch.clear();
                let _ = write!(ctx.scratch, "key{i}");
                out.map_key(&ctx.scratch);
                write(values, ctx, out);
            }
            out.end_map();
        }
        Kind::Union {
            branches,
            null_branch,
            null_probability,
        } => {
            let choose_null = null_branch.is_some() && ctx.rng.random_bool(*null_probability);
            let index = match null_branch {
                Some(n) if choose_null => *n,
                _ => {
                    let candidates = branches.len() - usize::from(null_branch.is_some());
                    let mut k = ctx.rng.random_range(0..candidates.max(1));
                    if let Some(n) = null_branch
                        && k >= *n
                    {
                        k += 1;
                    }
                    k.min(branches.len() - 1)
                }
            };
            out.union_branch(index);
            write(&branches[index], ctx, out);
        }
    }
}

fn pick<'a>(options: &'a [Value], ctx: &mut Ctx) -> &'a Value {
    &options[ctx.rng.random_range(0..options.len())]
}

fn next_in_sequence(ctx: &mut Ctx, id: usize, start: f64, step: f64) -> f64 {
    let n = ctx.counters[id];
    ctx.counters[id] += 1;
    start + step * n as f64
}

fn draw_range(ctx: &mut Ctx, min: f64, max: f64, distribution: &Distribution) -> f64 {
    match distribution {
        Distribution::Normal => normal(&mut ctx.rng, (min + max) / 2.0, (max - min) / 6.0).clamp(min, max),
        Distribution::Zipf(table) => {
            let rank = draw_key(&mut ctx.rng, table.len() as u64, distribution) as f64;
            min + (rank - 1.0) / table.len() as f64 * (max - min)
        }
        Distribution::Uniform => ctx.rng.random_range(min..max),
    }
}

fn integer(node: &Node, ctx: &mut Ctx) -> i64 {
    match &node.strategy {
        Strategy::Options(options) => pick(options, ctx).as_i64().unwrap_or(0),
        Strategy::Range { min, max, distribution } => draw_range(ctx, *min, *max, distribution).floor() as i64,
        Strategy::Sequence { start, step, id } => next_in_sequence(ctx, *id, *start, *step) as i64,
        Strategy::Key {
            space, distribution, ..
        } => draw_key(&mut ctx.rng, *space, distribution) as i64,
        Strategy::EventTime => ctx.event_micros.div_euclid(1000),
        Strategy::Money { min, max } => money(ctx, *min, *max) as i64,
        Strategy::Reference { domain, hit_ratio } => match domain.draw(&mut ctx.rng, *hit_ratio) {
            KeyValue::Number(n) => n,
            KeyValue::Json(value) => value.as_i64().unwrap_or(0),
            // The compiler pairs a text domain with string fields only.
            KeyValue::Text(_) => 0,
        },
        // Text of a number when the field is one (a follower's leader is checked for it).
        Strategy::Given => ctx.given.parse().unwrap_or(0),
        Strategy::Plain | Strategy::Pool(_) => ctx.rng.random_range(0..1000),
    }
}

fn real(node: &Node, ctx: &mut Ctx) -> f64 {
    match &node.strategy {
        Strategy::Options(options) => pick(options, ctx).as_f64().unwrap_or(0.0),
        Strategy::Range { min, max, distribution } => draw_range(ctx, *min, *max, distribution),
        Strategy::Money { min, max } => money(ctx, *min, *max),
        Strategy::Sequence { start, step, id } => next_in_sequence(ctx, *id, *start, *step),
        Strategy::Key {
            space, distribution, ..
        } => draw_key(&mut ctx.rng, *space, distribution) as f64,
        Strategy::EventTime => ctx.event_micros as f64 / 1e6,
        Strategy::Reference { .. } | Strategy::Given => integer(node, ctx) as f64,
        Strategy::Plain | Strategy::Pool(_) => ctx.rng.random_range(0.0..1000.0),
    }
}

/// Prices and amounts: log-uniform between the bounds (many small, few large), in cents.
fn money(ctx: &mut Ctx, min: f64, max: f64) -> f64 {
    let (low, high) = (min.max(0.01).ln(), max.max(0.02).ln());
    let value = ctx.rng.random_range(low..high).exp();
    (value * 100.0).round() / 100.0
}

/// A length for strings, bytes, arrays and maps: the hint's range, else `1..=default`.
fn length(node: &Node, ctx: &mut Ctx, default: usize) -> usize {
    match &node.strategy {
        Strategy::Range { min, max, .. } => ctx.rng.random_range(min.max(0.0)..max.max(min + 1.0).max(1.0)) as usize,
        _ => ctx.rng.random_range(1..=default),
    }
}

fn text(node: &Node, ctx: &mut Ctx, emit: impl FnOnce(&str)) {
    match &node.strategy {
        Strategy::Pool(pool) => emit(&pool[ctx.rng.random_range(0..pool.len())]),
        Strategy::Options(options) => match pick(options, ctx) {
            Value::String(s) => emit(s),
            other => emit(&other.to_string()),
        },
        Strategy::Key {
            space,
            distribution,
            prefix,
        } => {
            let n = draw_key(&mut ctx.rng, *space, distribution);
            ctx.scratch.clear();
            let _ = write!(ctx.scratch, "{}-{n:06}", prefix.as_deref().unwrap_or("K"));
            emit(&ctx.scratch);
        }
        Strategy::Sequence { start, step, id } => {
            let n = next_in_sequence(ctx, *id, *start, *step);
            ctx.scratch.clear();
            let _ = write!(ctx.scratch, "{n}");
            emit(&ctx.scratch);
        }
        Strategy::Range { .. } => {
            // A window of random letters made once: one draw per value, not one per letter.
            let len = length(node, ctx, 8).min(LETTERS);
            let start = ctx.rng.random_range(0..=LETTERS - len);
            emit(&ctx.letters[start..start + len]);
        }
        Strategy::EventTime => {
            ctx.scratch.clear();
            let _ = write!(ctx.scratch, "{}", ctx.event_micros / 1000);
            emit(&ctx.scratch);
        }
        Strategy::Money { min, max } => {
            let v = money(ctx, *min, *max);
            ctx.scratch.clear();
            let _ = write!(ctx.scratch, "{v:.2}");
            emit(&ctx.scratch);
        }
        Strategy::Plain => {
            ctx.scratch.clear();
            let _ = write!(ctx.scratch, "{:08x}", ctx.rng.random::<u32>());
            emit(&ctx.scratch);
        }
        Strategy::Given => emit(&ctx.given),
        Strategy::Reference { domain, hit_ratio } => match domain.draw(&mut ctx.rng, *hit_ratio) {
            KeyValue::Number(n) => {
                ctx.scratch.clear();
                let _ = write!(ctx.scratch, "{n}");
                emit(&ctx.scratch);
            }
            KeyValue::Text(text) => emit(&text),
            KeyValue::Json(Value::String(text)) => emit(text),
            KeyValue::Json(other) => emit(&other.to_string()),
        },
    }
}
