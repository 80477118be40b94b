//! `pipegen sql`: statements from a file or standard input through the embedded engine, with
//! Flink's value formatting in each output format.

mod common;

use common::Scratch;

fn write_fixture(s: &Scratch) -> String {
    s.write(
        "data/orders.csv",
        "1,books,12.50,2024-03-01 10:00:00.000\n2,toys,3.10,2024-03-01 10:00:04.250\n\
         3,books,7.00,2024-03-01 10:00:09.999\n4,books,1.25,2024-03-01 10:00:10.000\n",
    );
    format!(
        "CREATE TABLE orders (id BIGINT, category STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');\n",
        s.path().join("data/orders.csv").display()
    )
}

#[test]
fn queries_print_flink_formatted_rows() {
    let s = Scratch::new();
    let ddl = write_fixture(&s);
    s.write(
        "q.sql",
        &format!(
            "{ddl}SELECT window_start, category, COUNT(*) AS n, SUM(amount) AS total
             FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY window_start, window_end, category;"
        ),
    );
    let json = s.run(&["sql", "-f", "q.sql", "--format", "json"]).expect(0).stdout;
    let mut lines: Vec<&str> = json.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            r#"{"window_start":"2024-03-01 10:00:00.000","category":"books","n":2,"total":19.50}"#,
            r#"{"window_start":"2024-03-01 10:00:00.000","category":"toys","n":1,"total":3.10}"#,
            r#"{"window_start":"2024-03-01 10:00:10.000","category":"books","n":1,"total":1.25}"#,
        ],
        "the window at end of input fires too"
    );

    let table = s.run(&["sql", "-f", "q.sql"]).expect(0).stdout;
    assert!(table.contains("|            window_start | category |"), "{table}");
    assert!(
        table.contains("| 2024-03-01 10:00:00.000 |    books | 2 | 19.50 |"),
        "{table}"
    );
    assert!(table.contains("3 rows in set"), "{table}");

    let changelog = s.run(&["sql", "-f", "q.sql", "--format", "changelog"]).expect(0).stdout;
    assert!(
        changelog.contains("+I[2024-03-01 10:00:10.000, books, 1, 1.25]"),
        "{changelog}"
    );
}

#[test]
fn errors_name_the_file_and_line() {
    let s = Scratch::new();
    let ddl = write_fixture(&s);
    s.write(
        "bad.sql",
        &format!("{ddl}SELECT category FROM orders ORDER BY amount;\n"),
    );
    let out = s.run(&["sql", "-f", "bad.sql"]).expect(2);
    assert!(out.stderr.contains("bad.sql:4"), "{}", out.stderr);
    assert!(out.stderr.contains("ORDER BY on a stream"), "{}", out.stderr);
    assert!(out.stderr.contains("--engine flink"), "{}", out.stderr);
    s.run(&["sql", "-f", "missing.sql"]).expect(2);
}

#[test]
fn updating_queries_print_their_changelog_or_final_table() {
    let s = Scratch::new();
    // Two files, two source partitions: the second batch updates the first one's counts.
    s.write("clicks/a.csv", "books,1\nbooks,2\ntoys,3\n");
    s.write("clicks/b.csv", "books,4\ngames,5\n");
    s.write(
        "q.sql",
        &format!(
            "CREATE TABLE clicks (category STRING, n BIGINT)
               WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             SELECT category, COUNT(*) AS clicks, SUM(n) AS total FROM clicks GROUP BY category;",
            s.path().join("clicks").display()
        ),
    );
    let changelog = s.run(&["sql", "-f", "q.sql", "--format", "changelog"]).expect(0).stdout;
    assert!(changelog.contains("-U[books, "), "{changelog}");
    assert!(changelog.contains("+U[books, 3, 7]"), "{changelog}");
    assert!(changelog.contains("+I[games, 1, 5]"), "{changelog}");
    let table = s.run(&["sql", "-f", "q.sql"]).expect(0).stdout;
    assert!(table.contains("|    books |      3 |     7 |"), "{table}");
    assert!(table.contains("3 rows in set"), "{table}");
    let json = s.run(&["sql", "-f", "q.sql", "--format", "json"]).expect(0).stdout;
    assert_eq!(json.lines().count(), 3, "{json}");
    assert!(json.contains(r#"{"category":"books","clicks":3,"total":7}"#), "{json}");
}

/// A terminal driven by tmux (its own server, so nothing else's sessions are touched).
struct Terminal {
    tmux: String,
    socket: String,
}

impl Terminal {
    fn new() -> Self {
        let tmux = std::env::var("PIPEGEN_TEST_TMUX").expect(
            "PIPEGEN_TEST_TMUX is not set: run the tests with `bash scripts/test.sh`, or export what `bash scripts/install-test-tools.sh` prints",
        );
        let socket = format!("pipegen-test-{}-{}", std::process::id(), pipegen_testkit::free_port());
        Self { tmux, socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(&self.tmux)
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `command` in a new window and waits for `ready` on the screen.
    fn start(&self, command: &str, ready: &str) {
        self.tmux(&["new-session", "-d", "-s", "sql", "-x", "160", "-y", "50", command]);
        self.wait_for(ready, 1);
    }

    /// Waits until `text` shows `times` times on the screen; returns the screen.
    fn wait_for(&self, text: &str, times: usize) -> String {
        let started = std::time::Instant::now();
        loop {
            let screen = self.tmux(&["capture-pane", "-t", "sql", "-p"]);
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "`{text}` did not show {times} times:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    fn type_text(&self, text: &str) {
        // tmux reads a trailing `;` as the end of its own command unless escaped.
        let escaped = text.replace(';', "\\;");
        self.tmux(&["send-keys", "-t", "sql", "-l", &escaped]);
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "sql"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn the_prompt_recalls_statements_from_an_earlier_session() {
    let s = Scratch::new();
    // A clean environment: a private HOME, and none of the test harness's PIPEGEN_* variables.
    let command = format!(
        "env -i HOME={} TERM=xterm-256color {} sql",
        s.home().display(),
        env!("CARGO_BIN_EXE_pipegen")
    );
    let terminal = Terminal::new();
    terminal.start(&command, "pipegen>");
    terminal.type_text("SELECT 40 + 2 AS answer;");
    terminal.keys(&["Enter"]);
    terminal.wait_for("1 row in set", 1);
    terminal.keys(&["C-d"]);
    // The history is written as the prompt closes.
    let file = s.home().join(".pipegen_sql_history");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&file).is_ok_and(|h| h.contains(';')) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no history written"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let history = std::fs::read_to_string(&file).unwrap();
    assert!(history.contains("SELECT 40 + 2 AS answer;"), "{history}");

    // A new session: the up arrow brings the statement back, Enter runs it again.
    let terminal = Terminal::new();
    terminal.start(&command, "pipegen>");
    terminal.keys(&["Up"]);
    terminal.wait_for("pipegen> SELECT 40 + 2 AS answer;", 1);
    terminal.keys(&["Enter"]);
    let screen = terminal.wait_for("1 row in set", 1);
    assert!(screen.contains("     42 |"), "{screen}");
}
