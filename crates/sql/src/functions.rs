//! Flink 2.1's built-in functions: the names a query may call. `validate` refuses a call to any
//! other (unless the project creates it) and the embedded engine refuses to run one, as Flink
//! itself refuses it when it plans the job.

/// Flink's own list (scripts/flink-functions.sh writes it from Flink).
const LISTED: &str = include_str!("flink_functions.txt");

/// Names Flink's parser takes as special syntax or aliases, not listed as functions.
const SYNTAX: &[&str] = &["DESCRIPTOR", "UNNEST", "CEILING", "JSON_OBJECTAGG", "JSON_ARRAYAGG"];

/// Every built-in function's name, upper case.
pub fn flink_functions() -> impl Iterator<Item = &'static str> {
    LISTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .chain(SYNTAX.iter().copied())
}

/// Whether Flink has a built-in function of this name (in any case).
pub fn is_flink_function(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    flink_functions().any(|f| f == upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_flinks_functions_and_only_those() {
        assert!(is_flink_function("array_agg"));
        assert!(is_flink_function("DESCRIPTOR"));
        assert!(!is_flink_function("BOOL_AND"));
        assert!(!is_flink_function("string_agg"));
    }
}
