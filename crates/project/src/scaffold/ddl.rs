//! Rendering generated Flink DDL. Every identifier is back-quoted, so record and field names
//! that happen to be SQL keywords (`order`, `timestamp`) still work.

use std::fmt::Write as _;

/// A column of a generated table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    /// Flink type, without nullability.
    pub data_type: String,
    pub not_null: bool,
    /// `AS <expr>` for a computed column.
    pub computed: Option<String>,
}

impl ColumnSpec {
    pub fn physical(name: impl Into<String>, data_type: impl Into<String>, not_null: bool) -> Self {
        Self {
            name: name.into(),
            data_type: data_type.into(),
            not_null,
            computed: None,
        }
    }

    pub fn computed(name: impl Into<String>, expr: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            data_type: String::new(),
            not_null: false,
            computed: Some(expr.into()),
        }
    }
}

/// A generated `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub name: String,
    pub comment: Vec<String>,
    pub columns: Vec<ColumnSpec>,
    /// Event-time column and the watermark delay, e.g. `INTERVAL '5' SECOND`.
    pub watermark: Option<(String, String)>,
    pub options: Vec<(String, String)>,
}

pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl TableSpec {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.comment {
            let _ = writeln!(out, "-- {line}");
        }
        let _ = writeln!(out, "CREATE TABLE {} (", quote_ident(&self.name));
        let mut entries: Vec<String> = self
            .columns
            .iter()
            .map(|c| match &c.computed {
                Some(expr) => format!("  {} AS {expr}", quote_ident(&c.name)),
                None => format!(
                    "  {} {}{}",
                    quote_ident(&c.name),
                    c.data_type,
                    if c.not_null { " NOT NULL" } else { "" }
                ),
            })
            .collect();
        if let Some((column, delay)) = &self.watermark {
            let column = quote_ident(column);
            entries.push(format!("  WATERMARK FOR {column} AS {column} - {delay}"));
        }
        out.push_str(&entries.join(",\n"));
        out.push_str("\n) WITH (\n");
        let options: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| format!("  {} = {}", quote_literal(k), quote_literal(v)))
            .collect();
        out.push_str(&options.join(",\n"));
        out.push_str("\n);\n");
        out
    }
}

/// Options of a Kafka table in the given format, with the placeholders pipegen fills at run
/// time (the embedded stack's addresses, or the cluster's).
pub fn kafka_options(topic: &str, group_id: Option<&str>) -> Vec<(String, String)> {
    let mut options = vec![
        ("connector".to_owned(), "kafka".to_owned()),
        ("topic".to_owned(), topic.to_owned()),
        (
            "properties.bootstrap.servers".to_owned(),
            "${BOOTSTRAP_SERVERS}".to_owned(),
        ),
    ];
    if let Some(group) = group_id {
        options.push(("properties.group.id".to_owned(), group.to_owned()));
        options.push(("scan.startup.mode".to_owned(), "earliest-offset".to_owned()));
    }
    options.push(("format".to_owned(), "avro-confluent".to_owned()));
    options.push(("avro-confluent.url".to_owned(), "${SCHEMA_REGISTRY_URL}".to_owned()));
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_quoted_ddl() {
        let table = TableSpec {
            name: "order".into(),
            comment: vec!["Orders.".into()],
            columns: vec![
                ColumnSpec::physical("id", "BIGINT", true),
                ColumnSpec::physical("note", "STRING", false),
                ColumnSpec::computed("ts", "TO_TIMESTAMP_LTZ(`id`, 3)"),
            ],
            watermark: Some(("ts".into(), "INTERVAL '5' SECOND".into())),
            options: vec![("connector".into(), "datagen".into()), ("x".into(), "it's".into())],
        };
        assert_eq!(
            table.render(),
            "-- Orders.\nCREATE TABLE `order` (\n  `id` BIGINT NOT NULL,\n  `note` STRING,\n  `ts` AS TO_TIMESTAMP_LTZ(`id`, 3),\n  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND\n) WITH (\n  'connector' = 'datagen',\n  'x' = 'it''s'\n);\n"
        );
    }
}
