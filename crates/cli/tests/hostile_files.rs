//! Hostile and odd input files: each is refused with one message naming the file (and its line
//! where there is one), saying what is wrong, with a hint; never a panic, an abort or a read that
//! never ends, and nothing half-written on disk.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use common::Scratch;

/// Every file under `dir` with its bytes, directories and links included.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let shown = path.strip_prefix(dir).unwrap().display().to_string();
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        if metadata.is_dir() {
            files.insert(format!("{shown}/"), Vec::new());
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if metadata.is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            files.insert(format!("{shown} ->"), target.display().to_string().into_bytes());
        } else {
            files.insert(shown, std::fs::read(&path).unwrap());
        }
    }
    files
}

/// Asserts that stderr holds each of `parts` and a hint.
fn says(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
    assert!(stderr.contains("hint:"), "no hint in:\n{stderr}");
}

const RECURSIVE: &str = r#"{
  "type": "record",
  "name": "Node",
  "fields": [
    {"name": "value", "type": "long"},
    {"name": "next", "type": ["null", "Node"], "default": null}
  ]
}
"#;

#[test]
fn init_refuses_a_recursive_schema_naming_the_record_and_field() {
    let s = Scratch::new();
    s.write("node.avsc", RECURSIVE);
    let out = s.run(&["init", "demo", "--input-schema", "node.avsc"]).expect(2);
    says(
        &out.stderr,
        &["node.avsc:6:", "record `Node`", "`Node.next`", "cannot be recursive"],
    );
    assert!(!s.path().join("demo").exists());

    // validate reads schemas the same way.
    s.run(&["init", "demo"]).expect(0);
    s.write("demo/schemas/input.avsc", RECURSIVE);
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    says(&out.stderr, &["schemas/input.avsc:6:", "`Node.next`"]);
}

#[test]
fn init_refuses_nesting_too_deep_without_overflowing() {
    let s = Scratch::new();
    // Each record holds the one defined before it: shallow text, deep types.
    let mut fields =
        vec![r#"{"name":"r0","type":{"type":"record","name":"R0","fields":[{"name":"x","type":"int"}]}}"#.to_owned()];
    for i in 1..100 {
        fields.push(format!(
            r#"{{"name":"r{i}","type":{{"type":"record","name":"R{i}","fields":[{{"name":"x","type":"R{}"}}]}}}}"#,
            i - 1
        ));
    }
    s.write(
        "deep.avsc",
        &format!(r#"{{"type":"record","name":"E","fields":[{}]}}"#, fields.join(",\n")),
    );
    let out = s.run(&["init", "demo", "--input-schema", "deep.avsc"]).expect(2);
    says(&out.stderr, &["deep.avsc:", "more than 32 levels deep"]);
    // Nested in the text itself, deeper than JSON is read.
    let mut deep = r#""long""#.to_owned();
    for level in 0..2000 {
        deep = format!(r#"{{"type":"record","name":"R{level}","fields":[{{"name":"f","type":{deep}}}]}}"#);
    }
    s.write("deeper.avsc", &deep);
    let out = s.run(&["init", "demo", "--input-schema", "deeper.avsc"]).expect(2);
    says(&out.stderr, &["deeper.avsc:", "not valid JSON"]);
    assert!(!s.path().join("demo").exists());

    // The deepest schema allowed makes a project that validates.
    let mut deepest = r#""long""#.to_owned();
    for level in 0..32 {
        deepest = format!(r#"{{"type":"record","name":"R{level}","fields":[{{"name":"f{level}","type":{deepest}}}]}}"#);
    }
    s.write("deepest.avsc", &deepest);
    s.run(&["init", "demo", "--input-schema", "deepest.avsc"]).expect(0);
    s.run(&["validate", "--project-dir", "demo"]).expect(0);
}

#[test]
fn schemas_flink_cannot_declare_are_refused_by_init_and_validate() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let cases = [
        (
            r#"{"type":"record","name":"Empty","fields":[]}"#,
            "record `Empty` has no fields",
        ),
        (
            r#"{"type":"record","name":"E","fields":[
  {"name":"color","type":{"type":"enum","name":"Color","symbols":[]}}]}"#,
            "enum `Color` has no symbols",
        ),
        (
            r#"{"type":"record","name":"E","fields":[
  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":0}}]}"#,
            "decimal precision 0 is outside Flink's 1 to 38",
        ),
        (
            r#"{"type":"record","name":"E","fields":[
  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":6}}]}"#,
            "decimal scale 6 is larger than its precision 4",
        ),
        (
            r#"{"type":"record","name":"E","fields":[
  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":39}}]}"#,
            "decimal precision 39 is outside",
        ),
    ];
    for (schema, message) in cases {
        s.write("bad.avsc", schema);
        let out = s.run(&["init", "other", "--input-schema", "bad.avsc"]).expect(2);
        says(&out.stderr, &["bad.avsc:", message]);
        assert!(!s.path().join("other").exists());
        s.write("demo/schemas/input.avsc", schema);
        let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
        says(&out.stderr, &["schemas/input.avsc:", message]);
    }
}

#[test]
fn init_force_leaves_a_project_it_cannot_fit_byte_for_byte() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    s.edit("demo/.pipegen.yaml", "run:", "# mine\nrun:");
    std::fs::remove_dir_all(s.path().join("demo/sql")).unwrap();
    s.write("demo/sql", "not a directory\n");
    let before = snapshot(s.path());
    let out = s.run(&["init", "demo", "--force"]).expect(2);
    says(
        &out.stderr,
        &["demo/sql is a regular file", "needs a directory", "nothing was written"],
    );
    assert!(!out.all().contains("nothing was left behind"), "{}", out.all());
    assert_eq!(snapshot(s.path()), before, "init changed the project it refused");

    // A directory where a generated file goes.
    s.write("other/README.md/keep", "mine\n");
    let before = snapshot(s.path());
    let out = s.run(&["init", "other", "--force"]).expect(2);
    says(&out.stderr, &["other/README.md is a directory", "needs a file"]);
    assert_eq!(snapshot(s.path()), before);

    // The project's own place is a file.
    s.write("taken", "mine\n");
    for args in [&["init", "taken"][..], &["init", "taken", "--force"]] {
        let out = s.run(args).expect(2);
        says(&out.stderr, &["taken exists and is not a directory"]);
    }
    assert_eq!(s.read("taken"), "mine\n");
}

#[test]
fn init_refuses_a_csv_with_an_unclosed_quote_at_its_line() {
    let s = Scratch::new();
    s.write(
        "sales.csv",
        "id,note\n1,ok\n2,\"never closed\n3,swallowed\n4,swallowed\n",
    );
    let out = s.run(&["init", "demo", "--input-csv", "sales.csv"]).expect(2);
    says(
        &out.stderr,
        &["sales.csv:3:", "the quote opened on line 3 is never closed"],
    );
    assert!(!s.path().join("demo").exists());
}

#[test]
fn endless_and_odd_files_are_refused_saying_what_they_are() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let too_large = |stderr: &str, file: &str| says(stderr, &[&format!("{file} is larger than 16 MiB")]);

    let out = s.run(&["--config", "/dev/zero", "config", "show"]).expect(2);
    too_large(&out.stderr, "/dev/zero");
    let out = s.run(&["init", "x", "--input-schema", "/dev/zero"]).expect(2);
    too_large(&out.stderr, "/dev/zero");
    let out = s.run(&["init", "x", "--input-csv", "/dev/zero"]).expect(2);
    says(&out.stderr, &["/dev/zero is a character device, not a regular file"]);
    let out = s.run(&["sql", "--file", "/dev/zero"]).expect(2);
    too_large(&out.stderr, "/dev/zero");
    let stdin = std::fs::File::open("/dev/zero").unwrap();
    let out = s.command(&["sql"]).stdin(Stdio::from(stdin)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    too_large(&String::from_utf8_lossy(&out.stderr), "<stdin>");

    // A project's own files, through links.
    std::fs::remove_file(s.path().join("demo/.pipegen.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", s.path().join("demo/.pipegen.yaml")).unwrap();
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    too_large(&out.stderr, "demo/.pipegen.yaml");
    std::fs::remove_file(s.path().join("demo/.pipegen.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", s.path().join("demo/sql/04_more.sql")).unwrap();
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    too_large(&out.stderr, "demo/sql/04_more.sql");
    std::fs::remove_file(s.path().join("demo/sql/04_more.sql")).unwrap();
    std::os::unix::fs::symlink("gone.sql", s.path().join("demo/sql/04_more.sql")).unwrap();
    let out = s.run(&["validate", "--project-dir", "demo"]).expect(2);
    says(
        &out.stderr,
        &["demo/sql/04_more.sql is a symbolic link to gone.sql, which does not exist"],
    );
    std::fs::remove_file(s.path().join("demo/sql/04_more.sql")).unwrap();
    // Hidden entries are not the project's SQL (an editor's lock file is a dangling link).
    std::os::unix::fs::symlink("user@host.123", s.path().join("demo/sql/.#03_pipeline.sql")).unwrap();
    s.run(&["validate", "--project-dir", "demo"]).expect(0);

    // Directories, missing files and empty names.
    let out = s.run(&["init", "x", "--input-schema", "demo"]).expect(2);
    says(&out.stderr, &["demo is a directory, not a file"]);
    let out = s.run(&["init", "x", "--input-csv", "demo"]).expect(2);
    says(&out.stderr, &["demo is a directory, not a regular file"]);
    let out = s.run(&["init", "x", "--input-schema", "missing.avsc"]).expect(2);
    says(&out.stderr, &["missing.avsc does not exist"]);
    let out = s.run(&["--config", "demo", "config", "show"]).expect(2);
    says(&out.stderr, &["demo is a directory, not a file"]);
    for args in [
        &["init", "x", "--input-schema", ""][..],
        &["init", "x", "--input-csv", ""],
        &["--config", "", "config", "show"],
        &["sql", "--file", ""],
    ] {
        let out = s.run(args).expect(2);
        assert!(
            out.stderr.contains("was given an empty path"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(!s.path().join("x").exists());
}

#[test]
fn a_missing_project_directory_fails_every_command_that_reads_one() {
    let s = Scratch::new();
    s.write("file", "not a directory\n");
    for args in [
        &["run", "--dry-run"][..],
        &["validate"],
        &["deploy", "--dry-run"],
        &["clean"],
        &["check"],
        &["config", "show"],
        &["bench", "--dry-run"],
        &["dashboard"],
    ] {
        let mut with_dir = vec!["--project-dir", "/nonexistent"];
        with_dir.extend_from_slice(args);
        let out = s.run(&with_dir).expect(2);
        says(&out.stderr, &["the project directory", "/nonexistent does not exist"]);
        let mut with_file = vec!["--project-dir", "file"];
        with_file.extend_from_slice(args);
        let out = s.run(&with_file).expect(2);
        says(&out.stderr, &["file is a regular file, not a directory"]);
    }
}

#[test]
fn a_config_nested_deep_or_on_one_huge_line_is_refused_briefly() {
    let s = Scratch::new();
    let deep: String = (0..5000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    s.write("deep.yaml", &deep);
    let out = s.run(&["--config", "deep.yaml", "config", "show"]).expect(2);
    says(&out.stderr, &["deep.yaml:65:", "more than 64 levels deep"]);
    assert!(out.stderr.len() < 1000, "{}", out.stderr);

    s.write("long.yaml", &format!("a: {}x\n", "- ".repeat(1 << 20)));
    let out = s.run(&["--config", "long.yaml", "config", "show"]).expect(2);
    says(&out.stderr, &["long.yaml:1:", "not valid YAML"]);
    assert!(
        out.stderr.len() < 1000,
        "the whole line was quoted: {} bytes",
        out.stderr.len()
    );
}

#[test]
fn an_operator_chain_too_deep_for_the_engine_is_refused_by_validate_and_run() {
    let s = Scratch::new();
    s.run(&["init", "demo"]).expect(0);
    let condition = (0..1000)
        .map(|i| format!("quantity = {i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    s.edit(
        "demo/sql/03_pipeline.sql",
        "GROUP BY",
        &format!("WHERE {condition}\nGROUP BY"),
    );
    for args in [&["validate"][..], &["run", "--messages", "10"]] {
        let mut with_dir = vec!["--project-dir", "demo"];
        with_dir.extend_from_slice(args);
        let out = s.run(&with_dir).expect(2);
        says(
            &out.stderr,
            &["demo/sql/03_pipeline.sql:3:", "nest more than 200 levels deep"],
        );
    }
    s.write("chain.sql", &format!("SELECT 1{};\n", " + 1".repeat(1000)));
    let out = s.run(&["sql", "--file", "chain.sql"]).expect(2);
    says(&out.stderr, &["chain.sql:1:", "levels deep"]);
}
