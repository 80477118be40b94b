//! The HTML reports: self-contained files (inline CSS and SVG, no script, no link, no network
//! request), each built from its JSON result alone. Every number cell names the JSON value it
//! shows in a `data-json` attribute (a JSON Pointer), so a reader can check one against the
//! other.

use std::fmt::Write;

use pipegen_observe::chart::escape;

mod run_report;

pub(crate) use run_report::render;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1500px;padding:0 2em;color:#222}\
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:0.2em}\
table{border-collapse:collapse;margin:0.5em 0 1em}td,th{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}td.text{text-align:left}\
.failed{color:#b00020}.succeeded,.passed{color:#0a7a2f}.interrupted{color:#a65e00}\
pre{background:#f7f7f7;padding:1em;overflow:auto}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px;margin:0.5em 0 1em}\
.charts svg{border:1px solid #e4e4e4;border-radius:6px;background:#fff;width:100%;height:auto}\
.note{color:#555;font-size:0.9em}";

/// The page up to `<body>`: an inline style, and a policy that forbids scripts and fetches.
pub(crate) fn page_head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    );
}

/// A cell: what it shows, the JSON path it shows (numbers only), and whether it is text.
pub(crate) struct Cell {
    pub text: String,
    pub path: Option<String>,
}

/// A status or verdict as the JSON result spells it (`passed`, `reached_max_rate`).
pub(crate) fn serde_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn text(value: impl Into<String>) -> Cell {
    Cell {
        text: value.into(),
        path: None,
    }
}

/// A JSON number (or null) at `path`, shown with `decimals` places.
pub(crate) fn num(path: impl Into<String>, value: Option<f64>, decimals: usize) -> Cell {
    Cell {
        text: value.map_or("n/a".to_string(), |v| format!("{v:.decimals$}")),
        path: Some(path.into()),
    }
}

pub(crate) fn int(path: impl Into<String>, value: Option<u64>) -> Cell {
    Cell {
        text: value.map_or("n/a".to_string(), |v| v.to_string()),
        path: Some(path.into()),
    }
}

fn row(out: &mut String, cells: &[Cell]) {
    out.push_str("<tr>");
    for cell in cells {
        match &cell.path {
            Some(path) => {
                let _ = write!(out, r#"<td data-json="{}">{}</td>"#, escape(path), escape(&cell.text));
            }
            None => {
                let _ = write!(out, r#"<td class="text">{}</td>"#, escape(&cell.text));
            }
        }
    }
    out.push_str("</tr>\n");
}

pub(crate) fn table(out: &mut String, id: &str, headers: &[&str], rows: impl IntoIterator<Item = Vec<Cell>>) {
    let _ = write!(out, r#"<table id="{id}"><tr>"#);
    for header in headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr>\n");
    for cells in rows {
        row(out, &cells);
    }
    out.push_str("</table>\n");
}
