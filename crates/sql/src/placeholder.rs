//! `${NAME}` placeholders in SQL text (a name of letters, digits and `_`): where they stand,
//! and the text with them filled in. pipegen fills its own (`${BOOTSTRAP_SERVERS}`, ...);
//! any other name is an environment variable's, so that a password never sits in a file:
//! `'password' = '${DB_PASSWORD}'`.

use pipegen_diag::Position;

/// One placeholder: its name and the byte range of `${NAME}`.
struct Found<'t> {
    name: &'t str,
    start: usize,
    end: usize,
}

fn scan(text: &str) -> impl Iterator<Item = Found<'_>> {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(at) = text[from..].find("${") {
            let start = from + at;
            let name_start = start + 2;
            let name_len = text[name_start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - name_start);
            from = name_start;
            if name_len > 0 && text[name_start + name_len..].starts_with('}') {
                from = name_start + name_len + 1;
                return Some(Found {
                    name: &text[name_start..name_start + name_len],
                    start,
                    end: from,
                });
            }
        }
        None
    })
}

/// `${NAME}` placeholders in a file, with where each stands.
pub fn placeholders(text: &str) -> Vec<(String, Position)> {
    scan(text)
        .map(|found| (found.name.to_owned(), Position::of_offset(text, found.start)))
        .collect()
}

/// A placeholder nothing fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfilled {
    pub name: String,
    pub position: Position,
}

/// `text` with each placeholder replaced by `value(name)`; the first one without a value is
/// the error. Values hold no line breaks, so lines keep their numbers.
pub fn fill_placeholders(text: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, Unfilled> {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for found in scan(text) {
        let Some(value) = value(found.name) else {
            return Err(Unfilled {
                name: found.name.to_owned(),
                position: Position::of_offset(text, found.start),
            });
        };
        out.push_str(&text[copied..found.start]);
        out.push_str(&value);
        copied = found.end;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

/// The value of an environment variable a placeholder names: set, one line, and not
/// pipegen's own (a `PIPEGEN_*` variable configures pipegen and is not for the SQL).
pub fn environment_value(name: &str) -> Option<String> {
    if name.starts_with("PIPEGEN_") {
        return None;
    }
    std::env::var(name).ok().filter(|v| !v.contains('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_skips_what_is_no_placeholder() {
        let found = placeholders("a ${ONE} ${ not} $${TWO_2}\n${} ${THREE");
        assert_eq!(
            found,
            [
                ("ONE".to_owned(), Position::new(1, 3)),
                ("TWO_2".to_owned(), Position::new(1, 19))
            ]
        );
    }

    #[test]
    fn fills_every_placeholder_or_names_the_first_unfilled() {
        let value = |name: &str| (name != "NOPE").then(|| format!("<{name}>"));
        assert_eq!(
            fill_placeholders("x ${A} y ${B_C}${A} $5", value).unwrap(),
            "x <A> y <B_C><A> $5"
        );
        let unfilled = fill_placeholders("line one\n  '${NOPE}'", value).unwrap_err();
        assert_eq!(unfilled.name, "NOPE");
        assert_eq!(unfilled.position, Position::new(2, 4));
    }
}
