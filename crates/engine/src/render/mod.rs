//! A query's rows as Flink's SQL client shows them (its CAST to STRING: `TRUE`, `1.0E-6`,
//! timestamps `yyyy-MM-dd HH:mm:ss.SSS`, decimals at their declared scale, NULL spelled out); as a table, as one JSON object per row,
//! or as a changelog of row kinds (`+I`, `-U`, `+U`, `-D`).

mod cast_text;
mod java_double;

pub(crate) use cast_text::column_text;
pub(crate) use java_double::double_to_string;

use std::collections::HashMap;

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};

use crate::changes::Changes;
use crate::error::EngineError;

/// The table a changelog describes: insertions and update-afters add rows, retractions remove
/// an equal row; rows stay in the order they arrived.
pub fn materialize(changes: &[Changes]) -> Result<Vec<RecordBatch>, EngineError> {
    let Some(first) = changes.first() else {
        return Ok(Vec::new());
    };
    if changes.iter().all(|c| c.kinds.is_none()) {
        return Ok(changes.iter().map(|c| c.rows.clone()).collect());
    }
    let schema = first.rows.schema();
    let converter = RowConverter::new(
        schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    let mut live = Vec::new();
    let mut positions: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for change in changes {
        let rows = converter.convert_columns(change.rows.columns())?;
        for row in 0..change.rows.num_rows() {
            let bytes = rows.row(row);
            if change.kind(row).is_retraction() {
                if let Some(at) = positions.get_mut(bytes.data()).and_then(Vec::pop) {
                    live[at] = None;
                }
            } else {
                positions.entry(bytes.data().to_vec()).or_default().push(live.len());
                live.push(Some(bytes.owned()));
            }
        }
    }
    let columns = converter.convert_rows(live.iter().flatten().map(|r| r.row()))?;
    Ok(vec![RecordBatch::try_new(schema, columns)?])
}

/// Each row's values as Flink's SQL client shows them, column by column (`None` for NULL).
pub fn flink_text(batches: &[RecordBatch]) -> Result<Vec<Vec<Option<String>>>, EngineError> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|column| cast_text::column_text(column.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        rows.extend((0..batch.num_rows()).map(|row| columns.iter().map(|c| c[row].clone()).collect()));
    }
    Ok(rows)
}

pub(crate) fn names(batches: &[RecordBatch]) -> Vec<String> {
    batches
        .first()
        .map(|b| b.schema().fields().iter().map(|f| f.name().clone()).collect())
        .unwrap_or_default()
}

/// A boxed table with a header, and the row count under it.
pub fn table(batches: &[RecordBatch]) -> Result<String, EngineError> {
    let header = names(batches);
    if header.is_empty() {
        return Ok("Empty set\n".into());
    }
    let cells = table_cells(batches)?;
    let widths = column_widths(&header, &cells);
    let rule = table_rule(&widths);
    let mut out = rule.clone();
    out.push_str(&table_line(&header, &widths));
    out.push_str(&rule);
    for row in &cells {
        out.push_str(&table_line(row, &widths));
    }
    out.push_str(&rule);
    out.push_str(&rows_in_set(cells.len()));
    Ok(out)
}

/// Each column's width: its widest cell or its name.
pub(crate) fn column_widths(header: &[String], cells: &[Vec<String>]) -> Vec<usize> {
    (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// `+-----+----+`: a table's border for columns of `widths`.
pub(crate) fn table_rule(widths: &[usize]) -> String {
    format!(
        "+{}+\n",
        widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+")
    )
}

/// `|  a |  b |`: one row of a table, right-aligned.
pub(crate) fn table_line(values: &[String], widths: &[usize]) -> String {
    let padded: Vec<String> = values.iter().zip(widths).map(|(v, w)| format!(" {v:>w$} ")).collect();
    format!("|{}|\n", padded.join("|"))
}

pub(crate) fn rows_in_set(rows: usize) -> String {
    format!("{rows} row{} in set\n", if rows == 1 { "" } else { "s" })
}

/// A table's cells: NULL spelled as the SQL client does.
pub(crate) fn table_cells(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, EngineError> {
    Ok(flink_text(batches)?
        .into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "<NULL>".into())).collect())
        .collect())
}

/// One JSON object per row; numbers and booleans bare, decimals at their scale.
pub fn json_lines(batches: &[RecordBatch]) -> Result<String, EngineError> {
    let rows = flink_text(batches)?;
    let header = names(batches);
    let types: Vec<DataType> = batches
        .first()
        .map(|b| b.schema().fields().iter().map(|f| f.data_type().clone()).collect())
        .unwrap_or_default();
    let mut out = String::new();
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .zip(&header)
            .zip(&types)
            .map(|((value, name), ty)| {
                let key = serde_json::to_string(name).unwrap_or_default();
                let value = match value {
                    None => "null".to_string(),
                    Some(v) if *ty == DataType::Boolean => v.to_ascii_lowercase(),
                    // Infinity and NaN are no JSON numbers: they stay strings.
                    Some(v) if ty.is_numeric() && serde_json::from_str::<serde_json::Number>(v).is_ok() => v.clone(),
                    Some(v) => serde_json::to_string(v).unwrap_or_default(),
                };
                format!("{key}:{value}")
            })
            .collect();
        out.push_str(&format!("{{{}}}\n", fields.join(",")));
    }
    Ok(out)
}

/// Flink's changelog: the row kind, then the values.
pub fn changelog(changes: &[Changes]) -> Result<String, EngineError> {
    let mut out = String::new();
    for change in changes {
        for (row, values) in flink_text(std::slice::from_ref(&change.rows))?.into_iter().enumerate() {
            let values: Vec<String> = values.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect();
            out.push_str(&format!("{}[{}]\n", change.kind(row).short(), values.join(", ")));
        }
    }
    Ok(out)
}
