//! `init --input-csv F.csv`: infer the schema from the file, copy the file to `data/`, and read
//! it through a bounded `filesystem` source table in `csv` format.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use pipegen_diag::Diagnostic;

use super::ddl::{ColumnSpec, TableSpec};
use super::schema_variant::derived_pipeline;
use super::{Blueprint, DataCopy, InitError};
use crate::name::{ProjectName, snake_case};

pub(crate) fn blueprint(name: &ProjectName, csv_path: &Path) -> Result<Blueprint, InitError> {
    let inference =
        pipegen_schema::csv::infer_csv(csv_path).map_err(|e| InitError::Input(Box::new(Diagnostic::from(&e))))?;
    let file_stem = csv_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let table = snake_case(&file_stem);
    let record_name = format!("{}Record", upper_camel(&table));
    let schema = pipegen_schema::csv::avro_schema(&inference, &record_name, &format!("{}.csv", name.identifier()));
    let schema_json = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";

    let shape = pipegen_schema::csv::flink_csv_table(&inference);
    let mut columns: Vec<ColumnSpec> = shape
        .physical
        .iter()
        .map(|c| ColumnSpec::physical(&c.name, &c.data_type, !c.nullable))
        .collect();
    let mut watermark = None;
    if let Some(event_time) = &shape.event_time {
        if let Some(expr) = &event_time.expr {
            columns.push(ColumnSpec::computed(&event_time.name, expr));
        }
        watermark = Some((event_time.name.clone(), "INTERVAL '5' SECOND".to_owned()));
    }
    let data_file = format!("{table}.csv");
    let rows = match inference.sampled {
        Some(_) => format!("more than {}", inference.rows),
        None => inference.rows.to_string(),
    };
    let source = TableSpec {
        name: table.clone(),
        comment: vec![
            format!("Source: data/{data_file}, read once (a bounded source), {rows} rows."),
            "Flink's csv format has no header option: the copy in data/ has its header line".to_owned(),
            "commented out with `#`, which 'csv.allow-comments' skips.".to_owned(),
        ],
        columns,
        watermark,
        options: vec![
            ("connector".into(), "filesystem".into()),
            ("path".into(), format!("${{PROJECT_DIR}}/data/{data_file}")),
            ("format".into(), "csv".into()),
            ("csv.allow-comments".into(), "true".into()),
        ],
    };
    let (sink, pipeline_sql, summary) = derived_pipeline(name, &source);
    Ok(Blueprint {
        origin: format!("from the CSV file {}", csv_path.display()),
        schema_json,
        source,
        source_topic: None,
        sink,
        pipeline_sql,
        pipeline_summary: summary,
        data: Some(DataCopy {
            file_name: data_file.clone(),
            from: csv_path.to_path_buf(),
            transform: copy_with_commented_header,
            about: "Your CSV file, its header line commented out so Flink's csv format skips it.".to_owned(),
        }),
        extra: Vec::new(),
        config: String::new(),
        notes: vec![match inference.sampled {
            None => format!(
                "Inferred {} columns from {} rows of {}; the schema is in schemas/input.avsc.",
                inference.columns.len(),
                inference.rows,
                csv_path.display()
            ),
            Some(sample) => format!(
                "Inferred {} columns from the first {} rows of {} (its first {}; the rest was copied unread); the schema is in schemas/input.avsc.",
                inference.columns.len(),
                inference.rows,
                csv_path.display(),
                pipegen_diag::input::shown_size(sample)
            ),
        }],
    })
}

/// `sales_2024` → `Sales2024`.
fn upper_camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Streams the CSV to `out` with `# ` before its header record. The header's end is found by a
/// real CSV parser, so a header with quoted line breaks is still handled.
fn copy_with_commented_header(from: &Path, out: &mut dyn Write) -> io::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::new(File::open(from)?));
    reader.headers().map_err(io::Error::other)?;
    let header_end = reader.position().byte();
    let mut file = File::open(from)?;
    let mut header = vec![0u8; usize::try_from(header_end).map_err(io::Error::other)?];
    file.read_exact(&mut header)?;
    out.write_all(b"# ")?;
    // Quoted line breaks in the header would end the comment early: fold them into spaces.
    let body_start = header
        .iter()
        .rposition(|b| *b != b'\n' && *b != b'\r')
        .map_or(0, |i| i + 1);
    let folded: Vec<u8> = header[..body_start]
        .iter()
        .map(|b| if *b == b'\n' || *b == b'\r' { b' ' } else { *b })
        .collect();
    out.write_all(&folded)?;
    out.write_all(b"\n")?;
    // The parser's position may stop inside the header's line ending (`\r\n`): skip what is
    // left of it, since a newline was just written.
    file.seek(SeekFrom::Start(header_end))?;
    let mut rest = BufReader::new(file);
    loop {
        let buffered = io::BufRead::fill_buf(&mut rest)?;
        match buffered.first() {
            Some(b'\r' | b'\n') => io::BufRead::consume(&mut rest, 1),
            _ => break,
        }
    }
    io::copy(&mut rest, out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_out_only_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "a,\"b\nc\"\r\n1,2\n3,4").unwrap();
        let mut out = Vec::new();
        copy_with_commented_header(&path, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "# a,\"b c\"\n1,2\n3,4");
        assert_eq!(upper_camel("sales_2024"), "Sales2024");
    }
}
