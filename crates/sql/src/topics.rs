//! The topics of a pipeline's Kafka tables, renamed for one run (per-run names on a shared
//! cluster): one rename, on the parsed statement, that changes the option in the model and
//! the quoted value in the statement's text alike, so the embedded engine (which runs the
//! model) and Flink (which is sent the text) see the same names. Nothing else in the text
//! moves: not a comment, not a string that happens to read `'topic'`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::{CreateTable, ParsedStatement, Statement};

/// Whether a table reads or writes Kafka topics.
pub fn is_kafka(table: &CreateTable) -> bool {
    matches!(table.connector(), Some("kafka" | "upsert-kafka"))
}

/// Renames the `topic` of the statement's Kafka table, when it declares one and `rename`
/// gives it a new name; returns `(renamed, declared)`.
pub fn rename_topic(
    statement: &mut ParsedStatement,
    rename: impl Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let Statement::CreateTable(table) = &mut statement.kind else {
        return None;
    };
    if !is_kafka(table) {
        return None;
    }
    let option = table.options.iter_mut().find(|o| o.key == "topic")?;
    let renamed = rename(&option.value)?;
    if let Some(span) = option.value_span.clone() {
        let quoted = format!("'{}'", renamed.replace('\'', "''"));
        let shift = quoted.len() as isize - span.len() as isize;
        statement.text.replace_range(span.clone(), &quoted);
        // Later options of the statement moved with the text.
        for other in table.options.iter_mut() {
            if let Some(other_span) = &mut other.value_span
                && other_span.start > span.start
            {
                other_span.start = other_span.start.saturating_add_signed(shift);
                other_span.end = other_span.end.saturating_add_signed(shift);
            }
        }
        if let Some(option) = table.options.iter_mut().find(|o| o.key == "topic") {
            option.value_span = Some(span.start..span.start + quoted.len());
        }
    }
    let option = table.options.iter_mut().find(|o| o.key == "topic")?;
    let declared = std::mem::replace(&mut option.value, renamed.clone());
    Some((renamed, declared))
}

/// A file's statements with their Kafka topics renamed by `topics` (declared name → name to
/// use), as text. Text that does not parse is returned as it was: what sends it reports
/// the error.
pub fn rename_topics_in_text(text: &str, topics: &BTreeMap<String, String>) -> String {
    if topics.is_empty() {
        return text.to_owned();
    }
    let Ok(file) = crate::parse::parse_file(Path::new(""), text) else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for mut statement in file.statements {
        let (start, original_len) = (statement.offset, statement.text.len());
        if rename_topic(&mut statement, |topic| topics.get(topic).cloned()).is_some() {
            out.push_str(&text[copied..start]);
            out.push_str(&statement.text);
            copied = start + original_len;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DDL: &str = "-- reads 'topic' = 'orders' from Kafka\nCREATE TABLE o (id INT) WITH (\n  'connector' = 'kafka',\n  'topic' = 'orders',\n  'format' = 'json'\n);\nCREATE TABLE f (id INT) WITH ('connector' = 'filesystem', 'topic' = 'orders', 'path' = '/x');\nINSERT INTO f SELECT * FROM o WHERE 'topic' = 'orders';\n";

    fn renamed() -> BTreeMap<String, String> {
        BTreeMap::from([("orders".to_owned(), "orders-run1".to_owned())])
    }

    #[test]
    fn only_a_kafka_tables_topic_option_is_renamed_in_the_text() {
        let out = rename_topics_in_text(DDL, &renamed());
        assert_eq!(
            out,
            DDL.replacen("  'topic' = 'orders',", "  'topic' = 'orders-run1',", 1),
            "the comment, the filesystem table and the string literal keep their text"
        );
        assert_eq!(rename_topics_in_text(DDL, &BTreeMap::new()), DDL);
    }

    #[test]
    fn the_model_and_the_text_change_together() {
        let mut file = crate::parse::parse_file(Path::new("a.sql"), DDL).unwrap();
        let statement = &mut file.statements[0];
        let pair = rename_topic(statement, |t| Some(format!("{t}-it's"))).unwrap();
        assert_eq!(pair, ("orders-it's".to_owned(), "orders".to_owned()));
        assert!(
            statement.text.contains("'topic' = 'orders-it''s',"),
            "{}",
            statement.text
        );
        let Statement::CreateTable(table) = &statement.kind else {
            unreachable!()
        };
        assert_eq!(table.option("topic"), Some("orders-it's"));
        // The spans after the topic moved with the text.
        let format = table.options.iter().find(|o| o.key == "format").unwrap();
        assert_eq!(&statement.text[format.value_span.clone().unwrap()], "'json'");
        // Parsed again, the text says the same as the model.
        let again = crate::parse::parse_file(Path::new("a.sql"), &statement.text).unwrap();
        let Statement::CreateTable(table) = &again.statements[0].kind else {
            unreachable!()
        };
        assert_eq!(table.option("topic"), Some("orders-it's"));
        assert!(
            rename_topic(&mut file.statements[1], |_| Some("x".into())).is_none(),
            "not Kafka"
        );
    }
}
