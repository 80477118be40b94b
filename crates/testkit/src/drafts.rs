//! Model answers for tests of `init --describe`: a click-stream project that validates (page
//! views per page and minute), and the same project naming a column its source lacks.

use serde_json::{Value, json};

pub const CLICK_SCHEMA: &str = r#"{"type": "record", "name": "Click", "namespace": "shop.events", "fields": [
  {"name": "user_id", "type": "long"},
  {"name": "page", "type": "string"},
  {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}}
]}"#;

pub const CLICK_SOURCE: &str = "CREATE TABLE `clicks` (\n  `user_id` BIGINT NOT NULL,\n  `page` STRING NOT NULL,\n  `event_time` TIMESTAMP(3) NOT NULL,\n  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '5' SECOND\n) WITH (\n  'connector' = 'kafka',\n  'topic' = 'clicks',\n  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',\n  'properties.group.id' = 'pipegen-clicks',\n  'scan.startup.mode' = 'earliest-offset',\n  'format' = 'avro-confluent',\n  'avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'\n);";

pub const VIEWS_SINK: &str = "CREATE TABLE `page_views` (\n  `window_start` TIMESTAMP(3) NOT NULL,\n  `window_end` TIMESTAMP(3) NOT NULL,\n  `page` STRING NOT NULL,\n  `views` BIGINT NOT NULL\n) WITH (\n  'connector' = 'kafka',\n  'topic' = 'page-views',\n  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',\n  'format' = 'avro-confluent',\n  'avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'\n);";

pub fn pipeline(group_by: &str) -> String {
    format!(
        "INSERT INTO `page_views`\nSELECT window_start, window_end, {group_by}, COUNT(*) AS views\nFROM TABLE(TUMBLE(TABLE `clicks`, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))\nGROUP BY window_start, window_end, {group_by};"
    )
}

pub fn answer(input_schema: Option<&str>, group_by: &str) -> Value {
    json!({
        "description": "Counts page views per page in one-minute windows.",
        "input_schema": input_schema,
        "output_schema": null,
        "sql": {"source_table": CLICK_SOURCE, "sink_table": VIEWS_SINK, "pipeline": pipeline(group_by)},
        "optimization_notes": ["Partition the clicks topic by page to spread the window state."],
    })
}

/// A project that validates.
pub fn valid() -> String {
    answer(Some(CLICK_SCHEMA), "page").to_string()
}

/// Names a column the source lacks.
pub fn wrong_column() -> String {
    answer(Some(CLICK_SCHEMA), "country").to_string()
}
