//! Per-field hints in the schema, compatible with the `arg.properties` convention of Confluent's
//! avro-random-generator where they overlap: `range` {min, max}, `options`, `length` (n or
//! {min, max}), `iteration` {start, step}; and pipegen's own: `null_probability`,
//! `distribution` (uniform | normal | zipf, with `zipf_exponent`), `key_space`, and
//! `references` (`table.field`, with `hit_ratio`: see [`crate::References`]), and `follows`
//! (`table.field`, with `delay` and `share`: see [`crate::follow`]), and `per` (the field's
//! value is the same whenever an earlier field's is: see [`crate::consistent`]).

use serde_json::Value;

use crate::GeneratorError;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Hints {
    pub range: Option<(f64, f64)>,
    pub options: Option<Vec<Value>>,
    pub length: Option<(f64, f64)>,
    pub iteration: Option<(f64, f64)>,
    pub null_probability: Option<f64>,
    pub distribution: Option<String>,
    pub zipf_exponent: Option<f64>,
    pub key_space: Option<u64>,
    pub references: Option<String>,
    pub hit_ratio: Option<f64>,
    pub follows: Option<String>,
    /// The follower's delay after its leader: uniform between the two bounds.
    pub delay: Option<(std::time::Duration, std::time::Duration)>,
    pub share: Option<f64>,
    pub per: Option<String>,
}

const KNOWN: &[&str] = &[
    "range",
    "options",
    "length",
    "iteration",
    "null_probability",
    "distribution",
    "zipf_exponent",
    "key_space",
    "references",
    "hit_ratio",
    "follows",
    "delay",
    "share",
    "per",
];

impl Hints {
    /// Reads `arg.properties` from a field or type object.
    pub fn read(object: &Value, at: &str) -> Result<Hints, GeneratorError> {
        let Some(props) = object.get("arg.properties") else {
            return Ok(Hints::default());
        };
        let Value::Object(props) = props else {
            return Err(hint_error(at, "`arg.properties` must be an object"));
        };
        let mut hints = Hints::default();
        for (key, value) in props {
            match key.as_str() {
                "range" => hints.range = Some(bounds(value, at, "range")?),
                "options" => match value {
                    Value::Array(items) if !items.is_empty() => hints.options = Some(items.clone()),
                    _ => return Err(hint_error(at, "`options` must be a non-empty list")),
                },
                "length" => {
                    hints.length = Some(match value.as_f64() {
                        Some(n) => (n, n + 1.0),
                        None => bounds(value, at, "length")?,
                    })
                }
                "iteration" => {
                    let start = value.get("start").and_then(Value::as_f64).unwrap_or(0.0);
                    let step = value.get("step").and_then(Value::as_f64).unwrap_or(1.0);
                    hints.iteration = Some((start, step));
                }
                "null_probability" => match value.as_f64() {
                    Some(p) if (0.0..=1.0).contains(&p) => hints.null_probability = Some(p),
                    _ => return Err(hint_error(at, "`null_probability` must be a number from 0 to 1")),
                },
                "distribution" => match value.as_str() {
                    Some(d @ ("uniform" | "normal" | "zipf")) => hints.distribution = Some(d.to_owned()),
                    _ => {
                        return Err(hint_error(
                            at,
                            "`distribution` must be \"uniform\", \"normal\" or \"zipf\"",
                        ));
                    }
                },
                "zipf_exponent" => match value.as_f64() {
                    Some(s) if s > 0.0 => hints.zipf_exponent = Some(s),
                    _ => return Err(hint_error(at, "`zipf_exponent` must be a positive number")),
                },
                "key_space" => match value.as_u64() {
                    Some(n) if n > 0 => hints.key_space = Some(n),
                    _ => return Err(hint_error(at, "`key_space` must be a positive whole number")),
                },
                "references" => match value.as_str() {
                    Some(reference) if !reference.trim().is_empty() => {
                        hints.references = Some(reference.trim().to_owned());
                    }
                    _ => return Err(hint_error(at, "`references` must name a field as \"table.field\"")),
                },
                "hit_ratio" => match value.as_f64() {
                    Some(p) if (0.0..=1.0).contains(&p) => hints.hit_ratio = Some(p),
                    _ => return Err(hint_error(at, "`hit_ratio` must be a number from 0 to 1")),
                },
                "follows" => match value.as_str() {
                    Some(leader) if !leader.trim().is_empty() => hints.follows = Some(leader.trim().to_owned()),
                    _ => return Err(hint_error(at, "`follows` must name a field as \"table.field\"")),
                },
                "delay" => hints.delay = Some(delay_bounds(value, at)?),
                "share" => match value.as_f64() {
                    Some(p) if (0.0..=1.0).contains(&p) => hints.share = Some(p),
                    _ => return Err(hint_error(at, "`share` must be a number from 0 to 1")),
                },
                "per" => match value.as_str() {
                    Some(field) if !field.trim().is_empty() => hints.per = Some(field.trim().to_owned()),
                    _ => return Err(hint_error(at, "`per` must name an earlier field of the record")),
                },
                "regex" => {
                    return Err(GeneratorError {
                        message: format!("{at}: `regex` hints are not supported"),
                        hint: "use `options` or `length` instead".into(),
                    });
                }
                other => {
                    let suggestion = pipegen_diag::did_you_mean(other, KNOWN.iter().copied())
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    return Err(GeneratorError {
                        message: format!("{at}: unknown hint `{other}` in arg.properties"),
                        hint: format!("{suggestion}hints: {}", KNOWN.join(", ")),
                    });
                }
            }
        }
        Ok(hints)
    }

    /// Field-level hints win over type-level ones.
    pub fn or(self, other: Hints) -> Hints {
        Hints {
            range: self.range.or(other.range),
            options: self.options.or(other.options),
            length: self.length.or(other.length),
            iteration: self.iteration.or(other.iteration),
            null_probability: self.null_probability.or(other.null_probability),
            distribution: self.distribution.or(other.distribution),
            zipf_exponent: self.zipf_exponent.or(other.zipf_exponent),
            key_space: self.key_space.or(other.key_space),
            references: self.references.or(other.references),
            hit_ratio: self.hit_ratio.or(other.hit_ratio),
            follows: self.follows.or(other.follows),
            delay: self.delay.or(other.delay),
            share: self.share.or(other.share),
            per: self.per.or(other.per),
        }
    }
}

fn bounds(value: &Value, at: &str, what: &str) -> Result<(f64, f64), GeneratorError> {
    let min = value.get("min").and_then(Value::as_f64);
    let max = value.get("max").and_then(Value::as_f64);
    match (min, max) {
        (Some(min), Some(max)) if min < max => Ok((min, max)),
        (Some(min), None) => Ok((min, min.max(0.0) + 1000.0)),
        (None, Some(max)) => Ok((0.0_f64.min(max - 1.0), max)),
        _ => Err(hint_error(
            at,
            &format!("`{what}` needs min < max, e.g. {{\"min\": 1, \"max\": 100}}"),
        )),
    }
}

/// `{"min": "200ms", "max": "12s"}`: durations with units, `min` at most `max`.
fn delay_bounds(value: &Value, at: &str) -> Result<(std::time::Duration, std::time::Duration), GeneratorError> {
    let bound = |name: &str| -> Result<Option<std::time::Duration>, GeneratorError> {
        match value.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => text
                .parse::<pipegen_config::Duration>()
                .map(|d| Some(d.as_std()))
                .map_err(|e| hint_error(at, &format!("`delay.{name}`: {e}"))),
            Some(_) => Err(hint_error(
                at,
                &format!("`delay.{name}` must be a duration with its unit, such as \"200ms\" or \"12s\""),
            )),
        }
    };
    match (value.is_object(), bound("min")?, bound("max")?) {
        (true, min, Some(max)) if min.unwrap_or_default() <= max => Ok((min.unwrap_or_default(), max)),
        (true, Some(min), None) => Ok((min, min)),
        _ => Err(hint_error(
            at,
            "`delay` needs min <= max, e.g. {\"min\": \"200ms\", \"max\": \"12s\"}",
        )),
    }
}

fn hint_error(at: &str, message: &str) -> GeneratorError {
    GeneratorError {
        message: format!("{at}: {message}"),
        hint: "see the arg.properties hints in pipegen's README".into(),
    }
}
