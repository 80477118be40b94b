//! Flink's JSON functions: `JSON_VALUE`, `JSON_QUERY`, `JSON_EXISTS`, `IS JSON` and
//! `JSON_OBJECT`, as Flink runs them (Jackson's reading, with numbers kept as written, and a
//! JsonPath in lax mode):
//!
//! * A path is `$` followed by `.name`, `['name']` or `[index]` steps.
//! * Text that is not JSON, or a path that leads nowhere, is an error: the ON ERROR behaviour
//!   (NULL by default; FALSE for JSON_EXISTS).
//! * JSON_VALUE of a JSON null or of an object or array is empty: the ON EMPTY behaviour (NULL
//!   by default). A number is its text as Java's `BigDecimal` prints it (`1e2` → `1E+2`).
//! * JSON_QUERY gives an object or array as compact JSON, NULL for anything else.
//! * JSON_OBJECT writes its keys sorted by name; a DECIMAL stays at its scale.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};

use crate::render::column_text;

/// `pipegen_json_value(json, path, on_empty, empty_default, on_error, error_default,
/// CAST(NULL AS returning))`, the behaviours `'NULL'`, `'ERROR'` or `'DEFAULT'`.
pub const JSON_VALUE: &str = "pipegen_json_value";
pub const JSON_QUERY: &str = "pipegen_json_query";
/// `pipegen_json_exists(json, path, on_error)`: `'TRUE'`, `'FALSE'`, `'UNKNOWN'` or `'ERROR'`.
pub const JSON_EXISTS: &str = "pipegen_json_exists";
/// `pipegen_is_json(text, kind)`: `'VALUE'`, `'SCALAR'`, `'ARRAY'` or `'OBJECT'`.
pub const IS_JSON: &str = "pipegen_is_json";
/// `pipegen_json_object(absent_on_null, key, value, ...)`.
pub const JSON_OBJECT: &str = "pipegen_json_object";

/// A JSON value, its numbers as written.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// A whole text as one JSON value (blanks around it allowed); duplicate keys keep the last value.
fn parse(text: &str) -> Option<Json> {
    let mut reader = Reader {
        text: text.as_bytes(),
        at: 0,
    };
    let value = reader.value()?;
    reader.blanks();
    (reader.at == reader.text.len()).then_some(value)
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn blanks(&mut self) {
        while self.text.get(self.at).is_some_and(|b| b" \t\r\n".contains(b)) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.blanks();
        let found = self.text.get(self.at) == Some(&byte);
        self.at += usize::from(found);
        found
    }

    fn word(&mut self, word: &str) -> bool {
        let found = self.text[self.at..].starts_with(word.as_bytes());
        if found {
            self.at += word.len();
        }
        found
    }

    fn value(&mut self) -> Option<Json> {
        self.blanks();
        match *self.text.get(self.at)? {
            b'{' => {
                self.at += 1;
                let mut members: Vec<(String, Json)> = Vec::new();
                if self.eat(b'}') {
                    return Some(Json::Object(members));
                }
                loop {
                    self.blanks();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let value = self.value()?;
                    match members.iter_mut().find(|(k, _)| *k == key) {
                        Some(member) => member.1 = value,
                        None => members.push((key, value)),
                    }
                    if self.eat(b'}') {
                        return Some(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']') {
                        return Some(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Json::String),
            b't' => self.word("true").then_some(Json::Bool(true)),
            b'f' => self.word("false").then_some(Json::Bool(false)),
            b'n' => self.word("null").then_some(Json::Null),
            _ => self.number(),
        }
    }

    fn string(&mut self) -> Option<String> {
        let start = self.at;
        if self.text.get(start) != Some(&b'"') {
            return None;
        }
        let mut end = start + 1;
        while *self.text.get(end)? != b'"' {
            end += if self.text[end] == b'\\' { 2 } else { 1 };
        }
        self.at = end + 1;
        serde_json::from_slice(&self.text[start..=end]).ok()
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.at;
        while self.text.get(self.at).is_some_and(|b| b"+-0123456789.eE".contains(b)) {
            self.at += 1;
        }
        let raw = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        serde_json::from_str::<serde_json::Number>(raw).ok()?;
        Some(Json::Number(raw.to_owned()))
    }
}

/// A JSON number as Java's `BigDecimal.toString` writes it: plain, or `d.dddE±n` when the
/// exponent is positive or the number is very small (integers as written).
fn number_text(raw: &str) -> String {
    let (mantissa, exponent) = match raw.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().unwrap_or(0)),
        None => (raw, 0),
    };
    let negative = mantissa.starts_with('-');
    let mantissa = mantissa.trim_start_matches('-');
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let digits = match digits.trim_start_matches('0') {
        "" => "0",
        d => d,
    };
    let scale = fraction.len() as i64 - exponent;
    let adjusted = -scale + digits.len() as i64 - 1;
    let sign = if negative && digits != "0" { "-" } else { "" };
    if scale >= 0 && adjusted >= -6 {
        let point = digits.len() as i64 - scale;
        if point > 0 {
            let (int, frac) = digits.split_at(point as usize);
            if frac.is_empty() {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            }
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        }
    } else {
        let rest = &digits[1..];
        let point = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if adjusted > 0 { "+" } else { "" };
        format!("{sign}{}{point}E{exp_sign}{adjusted}", &digits[..1])
    }
}

/// Compact JSON, as Jackson writes it.
fn write(json: &Json, out: &mut String) {
    match json {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(raw) => out.push_str(&number_text(raw)),
        Json::String(s) => quote(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(key, out);
                out.push(':');
                write(value, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Jackson escapes it (control characters as `\u00XX`, upper-case hex).
fn quote(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A path's steps: `$` then `.name`, `['name']` or `[index]` (lax mode, the default); `None`
/// for any other path.
fn steps(path: &str) -> Option<Vec<Step>> {
    let path = path.trim();
    let path = path.strip_prefix("lax").map_or(path, str::trim_start);
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() || name.contains(['*', '@', '?', ' ']) {
                return None;
            }
            steps.push(Step::Member(name.to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let step = after[..end].trim();
            steps.push(
                match step.strip_prefix(['\'', '"']).and_then(|s| s.strip_suffix(['\'', '"'])) {
                    Some(name) => Step::Member(name.to_owned()),
                    None => Step::Index(step.parse().ok()?),
                },
            );
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

enum Step {
    Member(String),
    Index(usize),
}

/// Whether this engine reads a path (`translate` refuses a literal one it does not).
pub fn readable_path(path: &str) -> bool {
    steps(path).is_some()
}

/// Where a path leads: `None` when it leads nowhere.
fn find<'a>(json: &'a Json, path: &str) -> Option<&'a Json> {
    steps(path)?.iter().try_fold(json, |here, step| match (step, here) {
        (Step::Member(name), Json::Object(members)) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
        (Step::Index(index), Json::Array(items)) => items.get(*index),
        _ => None,
    })
}

fn strings(array: &ArrayRef) -> Result<StringArray> {
    Ok(datafusion::arrow::compute::cast(array, &DataType::Utf8)?
        .as_string::<i32>()
        .clone())
}

fn arrays(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    args.args.iter().map(|a| a.to_array(args.number_rows)).collect()
}

pub fn udfs() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::from(JsonValue {
            signature: Signature::any(7, Volatility::Immutable),
        }),
        super::string_udf(JSON_QUERY, 2, |args| {
            match parse(args[0]).as_ref().and_then(|j| find(j, args[1])) {
                Some(found @ (Json::Array(_) | Json::Object(_))) => {
                    let mut out = String::new();
                    write(found, &mut out);
                    Some(out)
                }
                _ => None,
            }
        }),
        boolean_udf(JSON_EXISTS, 3, |args| {
            let found = parse(args[0]).map(|json| find(&json, args[1]).map(|v| *v != Json::Null));
            match found {
                Some(Some(exists)) => Ok(Some(exists)),
                _ => match args[2] {
                    "TRUE" => Ok(Some(true)),
                    "FALSE" => Ok(Some(false)),
                    "UNKNOWN" => Ok(None),
                    _ => exec_err!("JSON_EXISTS: '{}' is no JSON or has nothing at {}", args[0], args[1]),
                },
            }
        }),
        boolean_udf(IS_JSON, 2, |args| {
            Ok(Some(match (parse(args[0]), args[1]) {
                (None, _) => false,
                (Some(_), "VALUE") => true,
                (Some(Json::Array(_)), "ARRAY") | (Some(Json::Object(_)), "OBJECT") => true,
                (Some(Json::Array(_) | Json::Object(_)), "SCALAR") => false,
                (Some(_), "SCALAR") => true,
                _ => false,
            }))
        }),
        ScalarUDF::from(JsonObject {
            signature: Signature::variadic_any(Volatility::Immutable),
        }),
    ]
}

/// A predicate of strings, NULL when any argument is NULL.
fn boolean_udf(
    name: &str,
    arity: usize,
    f: impl Fn(&[&str]) -> Result<Option<bool>> + Send + Sync + 'static,
) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Utf8; arity],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &vec![DataType::Utf8; args.len()])?;
            let strings: Vec<&StringArray> = arrays.iter().map(|a| a.as_string::<i32>()).collect();
            let rows = arrays.first().map_or(0, |a| a.len());
            let mut out = Vec::with_capacity(rows);
            for row in 0..rows {
                if strings.iter().any(|s| s.is_null(row)) {
                    out.push(None);
                    continue;
                }
                let values: Vec<&str> = strings.iter().map(|s| s.value(row)).collect();
                out.push(f(&values)?);
            }
            Ok(ColumnarValue::Array(Arc::new(BooleanArray::from(out))))
        }),
    )
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonValue {
    signature: Signature,
}

impl ScalarUDFImpl for JsonValue {
    fn name(&self) -> &str {
        JSON_VALUE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[6].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let target = args.return_type().clone();
        let arrays = arrays(&args)?;
        let (texts, paths) = (strings(&arrays[0])?, strings(&arrays[1])?);
        let (on_empty, on_error) = (strings(&arrays[2])?, strings(&arrays[4])?);
        let mut values = Vec::with_capacity(texts.len());
        for row in 0..texts.len() {
            if texts.is_null(row) || paths.is_null(row) {
                values.push(ScalarValue::try_from(&target)?);
                continue;
            }
            let found = parse(texts.value(row)).and_then(|json| find(&json, paths.value(row)).cloned());
            let scalar = match &found {
                None => Err(()),
                Some(Json::Null | Json::Array(_) | Json::Object(_)) => Ok(None),
                Some(Json::Bool(b)) => Ok(Some(b.to_string())),
                Some(Json::Number(raw)) => Ok(Some(number_text(raw))),
                Some(Json::String(s)) => Ok(Some(s.clone())),
            };
            let value = match scalar {
                // A scalar that does not cast to the RETURNING type is an error.
                Ok(Some(text)) => match super::cast::read_as(&text, &target) {
                    Some(value) => value,
                    None => behaviour(&on_error, &arrays[5], row, &target, "ON ERROR")?,
                },
                Ok(None) => behaviour(&on_empty, &arrays[3], row, &target, "ON EMPTY")?,
                Err(()) => behaviour(&on_error, &arrays[5], row, &target, "ON ERROR")?,
            };
            values.push(value);
        }
        Ok(ColumnarValue::Array(if values.is_empty() {
            datafusion::arrow::array::new_null_array(&target, 0)
        } else {
            ScalarValue::iter_to_array(values)?
        }))
    }
}

/// The value an ON EMPTY or ON ERROR behaviour gives.
fn behaviour(
    modes: &StringArray,
    defaults: &ArrayRef,
    row: usize,
    target: &DataType,
    when: &str,
) -> Result<ScalarValue> {
    match modes.value(row) {
        "DEFAULT" => Ok(ScalarValue::try_from_array(defaults, row)?.cast_to(target)?),
        "ERROR" => exec_err!("JSON_VALUE: ERROR {when}"),
        _ => Ok(ScalarValue::try_from(target)?),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonObject {
    signature: Signature,
}

impl ScalarUDFImpl for JsonObject {
    fn name(&self) -> &str {
        JSON_OBJECT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = arrays(&args)?;
        let absent_on_null = arrays[0].as_boolean();
        let pairs: Vec<(StringArray, Vec<Option<String>>)> = arrays[1..]
            .chunks(2)
            .map(|pair| Ok((strings(&pair[0])?, json_texts(&pair[1])?)))
            .collect::<Result<_>>()?;
        let out: StringArray = (0..args.number_rows)
            .map(|row| {
                let mut members: Vec<(&str, &str)> = Vec::new();
                for (keys, values) in &pairs {
                    if keys.is_null(row) {
                        continue;
                    }
                    match values[row].as_deref() {
                        None if absent_on_null.value(row) => {}
                        value => members.push((keys.value(row), value.unwrap_or("null"))),
                    }
                }
                members.sort_by(|a, b| a.0.cmp(b.0));
                let fields: Vec<String> = members
                    .iter()
                    .map(|(key, value)| {
                        let mut out = String::new();
                        quote(key, &mut out);
                        format!("{out}:{value}")
                    })
                    .collect();
                Some(format!("{{{}}}", fields.join(",")))
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Each value as JSON: numbers and booleans bare, anything else a string of Flink's text.
fn json_texts(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let texts = column_text(array.as_ref())?;
    let bare = array.data_type().is_numeric() || *array.data_type() == DataType::Boolean;
    Ok(texts
        .into_iter()
        .map(|text| {
            text.map(|text| {
                if bare && serde_json::from_str::<serde_json::Number>(&text).is_ok() {
                    text
                } else if *array.data_type() == DataType::Boolean {
                    text.to_ascii_lowercase()
                } else {
                    let mut out = String::new();
                    quote(&text, &mut out);
                    out
                }
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_values() {
        let json = parse(r#"{"a":{"b":[10,{"c":"x"}]},"k y":true,"n":null}"#).unwrap();
        assert_eq!(find(&json, "$.a.b[0]"), Some(&Json::Number("10".into())));
        assert_eq!(find(&json, "$.a.b[1].c"), Some(&Json::String("x".into())));
        assert_eq!(find(&json, "$['k y']"), Some(&Json::Bool(true)));
        assert_eq!(find(&json, "lax $.n"), Some(&Json::Null));
        assert_eq!(find(&json, "$.missing"), None);
        assert_eq!(parse("not json"), None);
    }

    #[test]
    fn numbers_print_as_big_decimals() {
        assert_eq!(number_text("1e2"), "1E+2");
        assert_eq!(number_text("12.50"), "12.50");
        assert_eq!(number_text("0"), "0");
        assert_eq!(number_text("-0"), "0");
        assert_eq!(number_text("0.00001"), "0.00001");
        assert_eq!(number_text("1.5e-10"), "1.5E-10");
        assert_eq!(number_text("99.99"), "99.99");
    }

    #[test]
    fn queries_are_compact() {
        let json = parse(r#"{ "items" : [ 1, {"b" : "x\n"} ] }"#).unwrap();
        let mut out = String::new();
        write(find(&json, "$.items").unwrap(), &mut out);
        assert_eq!(out, r#"[1,{"b":"x\n"}]"#);
    }
}
