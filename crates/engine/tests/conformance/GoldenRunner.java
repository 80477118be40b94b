// Writes the conformance corpus's goldens from a real Flink cluster (scripts/flink-goldens.sh
// starts the cluster, compiles this file against the distribution's lib/ and runs it).
//
// A client: each case runs in a fresh streaming TableEnvironment whose jobs go to the remote
// cluster (execution.target: remote). The case's statements run in order (`SET 'k' = 'v';`
// sets the configuration, as the SQL client does); its last statement is the query, or an
// INSERT into a `jdbc` table, whose result is the table PostgreSQL holds after the job (each
// column read as PostgreSQL's text, every row a `+I`; the table is emptied before each run). Each case
// runs twice; the two changelogs must be equal as materialized tables (+I/+U insert a row, -U/-D
// delete one equal row), else the case fails and no golden is written. A golden is written
// (temp file, then rename) only after both jobs finished.
//
// Usage: GoldenRunner <rest-address> <rest-port> <data-dir> <golden-dir> <timeout-seconds>
//        <case.sql>...
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ExplainDetail;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.api.internal.TableResultInternal;
import org.apache.flink.table.catalog.CatalogBaseTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectPath;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.operations.CollectModifyOperation;
import org.apache.flink.table.utils.print.RowDataToStringConverter;
import org.apache.flink.util.CloseableIterator;

public final class GoldenRunner {
    // The SQL client's `SET 'key' = 'value'`, which executeSql does not take.
    private static final Pattern SET =
            Pattern.compile("(?is)SET\\s+'([^']+)'\\s*=\\s*'([^']*)'");
    private static final Pattern QUERY = Pattern.compile("(?is)(SELECT|WITH)\\b.*");
    // An INSERT into a jdbc table, whose result PostgreSQL holds: its target's name.
    private static final Pattern INSERT = Pattern.compile("(?is)INSERT\\s+INTO\\s+`?(\\w+)`?\\s.*");
    private static final Pattern DDL = Pattern.compile("(?is)CREATE\\s.*");
    // A case whose query Flink refuses says so in a leading comment line.
    private static final Pattern EXPECT_ERROR = Pattern.compile("(?m)^--\\s*expect:\\s*error\\s*$");
    private static final Pattern CHANGELOG_MODE = Pattern.compile("changelogMode=\\[([^\\]]*)\\]");

    /** The fixed conditions under which Flink's results are deterministic; a case's SETs come after. */
    static Configuration baseConfiguration(String restAddress, int restPort, String caseName) {
        Configuration conf = new Configuration();
        conf.setString("execution.target", "remote");
        conf.setString("rest.address", restAddress);
        conf.setString("rest.port", Integer.toString(restPort));
        conf.setString("execution.runtime-mode", "streaming");
        conf.setString("parallelism.default", "1");
        conf.setString("pipeline.auto-watermark-interval", "0 ms");
        conf.setString("table.local-time-zone", "UTC");
        conf.setString("pipeline.name", "conformance " + caseName);
        return conf;
    }

    /** What one run of a case gave: a planning error, or the result. */
    static final class Outcome {
        String error;
        // The refusal's causes, first lines, for the script's output (not the golden).
        List<String> causes = new ArrayList<>();
        List<String[]> columns = new ArrayList<>();
        List<String> changelogMode = new ArrayList<>();
        // The root's mode in the plan of the query alone (explainSql), for information.
        List<String> bareChangelogMode = new ArrayList<>();
        List<List<String>> changes = new ArrayList<>();

        Map<List<String>, Integer> materialized() {
            Map<List<String>, Integer> rows = new HashMap<>();
            for (List<String> change : changes) {
                List<String> row = change.subList(1, change.size());
                int delta = change.get(0).startsWith("+") ? 1 : -1;
                rows.merge(row, delta, Integer::sum);
                if (rows.get(row) == 0) {
                    rows.remove(row);
                }
            }
            return rows;
        }

        String signature() {
            if (error != null) {
                return "error " + error;
            }
            StringBuilder s = new StringBuilder();
            for (String[] c : columns) {
                s.append(c[0]).append(' ').append(c[1]).append(", ");
            }
            return s.append(changelogMode).toString();
        }
    }

    /**
     * A case that reads a `jdbc` table names its database as `${JDBC_URL}`, `${JDBC_USER}` and
     * `${JDBC_PASSWORD}`: the environment variables of those names, which
     * scripts/flink-goldens.sh sets to the PostgreSQL server it started.
     */
    static String database(String script) {
        for (String name : new String[] {"JDBC_URL", "JDBC_USER", "JDBC_PASSWORD"}) {
            String placeholder = "${" + name + "}";
            if (script.contains(placeholder)) {
                String value = System.getenv(name);
                if (value == null) {
                    throw new IllegalStateException("the case reads a jdbc table but " + name
                            + " is not set: run it through scripts/flink-goldens.sh");
                }
                script = script.replace(placeholder, value);
            }
        }
        return script;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println(
                    "usage: GoldenRunner <rest-address> <rest-port> <data-dir> <golden-dir> <timeout-seconds> <case.sql>...");
            System.exit(2);
        }
        String restAddress = args[0];
        int restPort = Integer.parseInt(args[1]);
        String dataDir = Paths.get(args[2]).toAbsolutePath().normalize().toString();
        Path goldenDir = Paths.get(args[3]);
        long timeoutSeconds = Long.parseLong(args[4]);
        String version = EnvironmentInformation.getVersion();
        List<String> failed = new ArrayList<>();
        for (String file : Arrays.asList(args).subList(5, args.length)) {
            Path path = Paths.get(file);
            String name = path.getFileName().toString().replaceFirst("\\.sql$", "");
            long started = System.nanoTime();
            try {
                String script = Files.readString(path, StandardCharsets.UTF_8);
                boolean expectError = EXPECT_ERROR.matcher(script).find();
                List<String> statements = statements(database(script.replace("${DATA}", dataDir)));
                checkShape(statements);
                Outcome first = run(name, statements, restAddress, restPort, timeoutSeconds);
                Outcome second = run(name, statements, restAddress, restPort, timeoutSeconds);
                if (expectError != (first.error != null)) {
                    throw new IllegalStateException(first.error != null
                            ? "Flink refuses the query, but the case does not say `-- expect: error`: " + first.error
                            : "the case says `-- expect: error`, but Flink runs the query");
                }
                if (!first.signature().equals(second.signature())) {
                    throw new IllegalStateException("the two runs differ in their schema, changelog mode or error:\n  "
                            + first.signature() + "\n  " + second.signature());
                }
                Map<List<String>, Integer> a = first.materialized();
                Map<List<String>, Integer> b = second.materialized();
                if (!a.equals(b)) {
                    throw new IllegalStateException("the two runs' changelogs differ as materialized tables: "
                            + describeDifference(a, b));
                }
                for (Map.Entry<List<String>, Integer> row : a.entrySet()) {
                    if (row.getValue() < 0) {
                        System.out.println("  note: " + name + " retracts a row it never inserted: " + row.getKey());
                    }
                }
                String order = first.changes.equals(second.changes) ? "same order" : "order differs";
                if (first.error == null && !first.bareChangelogMode.equals(first.changelogMode)) {
                    order += "; the query alone plans as [" + String.join(",", first.bareChangelogMode) + "]";
                }
                writeGolden(goldenDir.resolve(name + ".json"), golden(name, version, first));
                double seconds = (System.nanoTime() - started) / 1e9;
                if (first.error != null) {
                    System.out.printf("ok   %-40s %6.1fs  refused: %s%n", name, seconds, first.error);
                    for (String cause : first.causes) {
                        System.out.println("       caused by " + cause);
                    }
                } else {
                    System.out.printf("ok   %-40s %6.1fs  %d changes, %d rows, [%s], both runs: %s%n", name, seconds,
                            first.changes.size(), a.values().stream().mapToInt(Integer::intValue).sum(),
                            String.join(",", first.changelogMode), order);
                }
            } catch (Throwable e) {
                failed.add(name);
                System.out.printf("FAIL %-40s %s%n", name, firstLine(e));
                Throwable cause = e.getCause();
                while (cause != null) {
                    System.out.println("       caused by " + firstLine(cause));
                    cause = cause.getCause();
                }
            }
            System.out.flush();
        }
        if (!failed.isEmpty()) {
            System.out.println("failed cases: " + String.join(" ", failed));
            System.exit(1);
        }
        System.exit(0);
    }

    static String firstLine(Throwable e) {
        String message = Objects.toString(e.getMessage(), "").strip();
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline).strip();
        }
        return e.getClass().getSimpleName() + ": " + message;
    }

    /** The statements of a script: split at `;` outside quotes, `--` comments removed. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        while (i < script.length()) {
            char c = script.charAt(i);
            if (c == '\'' || c == '`' || c == '"') {
                int end = i + 1;
                while (end < script.length()) {
                    if (script.charAt(end) == c) {
                        if (end + 1 < script.length() && script.charAt(end + 1) == c) {
                            end += 2;
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                if (end >= script.length()) {
                    throw new IllegalArgumentException("an unterminated " + c + " quote");
                }
                current.append(script, i, end + 1);
                i = end + 1;
            } else if (c == '-' && i + 1 < script.length() && script.charAt(i + 1) == '-') {
                while (i < script.length() && script.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == ';') {
                String statement = current.toString().strip();
                if (!statement.isEmpty()) {
                    out.add(statement);
                }
                current.setLength(0);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        if (!current.toString().isBlank()) {
            throw new IllegalArgumentException("the last statement does not end with `;`");
        }
        return out;
    }

    static void checkShape(List<String> statements) {
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("the case has no statement");
        }
        String last = statements.get(statements.size() - 1);
        if (!QUERY.matcher(last).matches() && !INSERT.matcher(last).matches()) {
            throw new IllegalArgumentException(
                    "the last statement is not a SELECT (or WITH ... SELECT) query, nor an INSERT INTO a jdbc table");
        }
        for (String statement : statements.subList(0, statements.size() - 1)) {
            if (!SET.matcher(statement).matches() && !DDL.matcher(statement).matches()) {
                throw new IllegalArgumentException("before the query only SET and CREATE statements are allowed: "
                        + statement.lines().findFirst().orElse(""));
            }
        }
    }

    static Outcome run(String name, List<String> statements, String restAddress, int restPort, long timeoutSeconds)
            throws Exception {
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.newInstance()
                .inStreamingMode()
                .withConfiguration(baseConfiguration(restAddress, restPort, name))
                .build());
        for (String statement : statements.subList(0, statements.size() - 1)) {
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tables.getConfig().getConfiguration().setString(set.group(1), set.group(2));
            } else {
                tables.executeSql(statement);
            }
        }
        String query = statements.get(statements.size() - 1);
        Matcher insert = INSERT.matcher(query);
        if (insert.matches()) {
            return runInsert(tables, query, insert.group(1), timeoutSeconds);
        }
        Outcome outcome = new Outcome();
        String plan;
        try {
            // The plan that runs: the query under the collecting sink a SELECT's result goes to
            // (as the SQL client's), which asks for update-before messages too.
            Table table = tables.sqlQuery(query);
            plan = ((TableEnvironmentInternal) tables).explainInternal(
                    List.of(new CollectModifyOperation(table.getQueryOperation())), ExplainDetail.CHANGELOG_MODE);
        } catch (Exception | AssertionError refused) {
            // Flink refuses the query while planning it: that is the case's result (Calcite
            // refuses an unknown hint with an AssertionError).
            return refusal(refused);
        }
        outcome.changelogMode = rootChangelogMode(plan);
        outcome.bareChangelogMode = rootChangelogMode(tables.explainSql(query, ExplainDetail.CHANGELOG_MODE));

        TableResultInternal result = (TableResultInternal) tables.executeSql(query);
        for (Column column : result.getResolvedSchema().getColumns()) {
            outcome.columns.add(new String[] {column.getName(), column.getDataType().toString()});
        }
        RowDataToStringConverter text = result.getRowDataToStringConverter();
        ExecutorService collector = Executors.newSingleThreadExecutor();
        try (CloseableIterator<RowData> rows = result.collectInternal()) {
            Future<?> done = collector.submit(() -> {
                while (rows.hasNext()) {
                    RowData row = rows.next();
                    String[] fields = text.convert(row);
                    List<String> change = new ArrayList<>(fields.length + 1);
                    change.add(row.getRowKind().shortString());
                    for (int i = 0; i < fields.length; i++) {
                        change.add(row.isNullAt(i) ? null : fields[i]);
                    }
                    outcome.changes.add(change);
                }
                return null;
            });
            try {
                done.get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                result.getJobClient().ifPresent(JobClient::cancel);
                throw new IllegalStateException("the job did not finish within " + timeoutSeconds + " s");
            } catch (ExecutionException e) {
                throw new IllegalStateException("the job failed: " + firstLine(e.getCause()), e.getCause());
            }
        } finally {
            collector.shutdownNow();
        }
        // The job has finished (the collect iterator ends with it); wait for its final status.
        if (result.getJobClient().isPresent()) {
            result.getJobClient().get().getJobExecutionResult().get(timeoutSeconds, TimeUnit.SECONDS);
        }
        return outcome;
    }

    /**
     * An INSERT into a jdbc table: the table emptied, the job run to its end, then read back
     * from PostgreSQL (each column as PostgreSQL's text of it). The changelog mode is that of
     * the sink's input.
     */
    static Outcome runInsert(TableEnvironment tables, String insert, String target, long timeoutSeconds)
            throws Exception {
        Outcome outcome = new Outcome();
        String plan;
        try {
            plan = tables.explainSql(insert, ExplainDetail.CHANGELOG_MODE);
        } catch (Exception | AssertionError refused) {
            return refusal(refused);
        }
        outcome.changelogMode = rootChangelogMode(plan);
        outcome.bareChangelogMode = outcome.changelogMode;
        CatalogBaseTable table = tables.getCatalog(tables.getCurrentCatalog()).orElseThrow()
                .getTable(new ObjectPath(tables.getCurrentDatabase(), target));
        String tableName = table.getOptions().get("table-name");
        List<String> columns = new ArrayList<>();
        for (Column column : tables.from(target).getResolvedSchema().getColumns()) {
            if (column.isPhysical()) {
                outcome.columns.add(new String[] {column.getName(), column.getDataType().toString()});
                columns.add("\"" + column.getName().replace("\"", "\"\"") + "\"::text");
            }
        }
        try (Connection db = DriverManager.getConnection(
                System.getenv("JDBC_URL"), System.getenv("JDBC_USER"), System.getenv("JDBC_PASSWORD"));
                Statement sql = db.createStatement()) {
            sql.execute("TRUNCATE " + tableName);
            tables.executeSql(insert).await(timeoutSeconds, TimeUnit.SECONDS);
            try (ResultSet rows = sql.executeQuery("SELECT " + String.join(", ", columns) + " FROM " + tableName)) {
                while (rows.next()) {
                    List<String> change = new ArrayList<>(columns.size() + 1);
                    change.add("+I");
                    for (int i = 1; i <= columns.size(); i++) {
                        change.add(rows.getString(i));
                    }
                    outcome.changes.add(change);
                }
            }
        }
        return outcome;
    }

    /**
     * A refusal while planning, as the case's outcome. The optimizer's "Cannot generate a valid
     * execution plan for the given query:" wraps the reason (its first line ends with ':' and the
     * plan follows): the outermost exception whose first line is a sentence of its own is taken.
     */
    static Outcome refusal(Throwable refused) {
        Outcome outcome = new Outcome();
        Throwable reason = refused;
        while (firstLine(reason).endsWith(":") && reason.getCause() != null) {
            reason = reason.getCause();
        }
        outcome.error = firstLine(reason);
        for (Throwable cause = reason.getCause(); cause != null; cause = cause.getCause()) {
            outcome.causes.add(firstLine(cause));
        }
        return outcome;
    }

    /** The changelog mode of the optimized plan's root, e.g. `changelogMode=[I,UB,UA]`. */
    static List<String> rootChangelogMode(String plan) {
        String[] lines = plan.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].strip().equals("== Optimized Physical Plan ==")) {
                for (int j = i + 1; j < lines.length; j++) {
                    // The collecting sink's own line says changelogMode=[NONE]: its input is the root.
                    if (!lines[j].isBlank() && !lines[j].startsWith("Sink(")) {
                        Matcher mode = CHANGELOG_MODE.matcher(lines[j]);
                        String found = null;
                        while (mode.find()) {
                            found = mode.group(1);
                        }
                        if (found == null) {
                            throw new IllegalStateException("no changelogMode on the plan's root: " + lines[j]);
                        }
                        return Arrays.asList(found.split(","));
                    }
                }
            }
        }
        throw new IllegalStateException("no optimized physical plan in:\n" + plan);
    }

    static String describeDifference(Map<List<String>, Integer> a, Map<List<String>, Integer> b) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<List<String>, Integer> e : a.entrySet()) {
            int other = b.getOrDefault(e.getKey(), 0);
            if (other != e.getValue()) {
                lines.add(e.getKey() + " x" + e.getValue() + " vs x" + other);
            }
        }
        for (Map.Entry<List<String>, Integer> e : b.entrySet()) {
            if (!a.containsKey(e.getKey())) {
                lines.add(e.getKey() + " x0 vs x" + e.getValue());
            }
        }
        return lines.size() + " rows differ, e.g. " + String.join("; ", lines.subList(0, Math.min(5, lines.size())));
    }

    static String golden(String name, String version, Outcome outcome) {
        StringBuilder json = new StringBuilder();
        json.append("{\n");
        json.append("  \"case\": ").append(quote(name)).append(",\n");
        json.append("  \"flink_version\": ").append(quote(version)).append(",\n");
        if (outcome.error != null) {
            json.append("  \"error\": ").append(quote(outcome.error)).append("\n");
            return json.append("}\n").toString();
        }
        json.append("  \"columns\": [");
        for (int i = 0; i < outcome.columns.size(); i++) {
            String[] c = outcome.columns.get(i);
            json.append(i == 0 ? "\n" : ",\n");
            json.append("    {\"name\": ").append(quote(c[0])).append(", \"type\": ").append(quote(c[1])).append('}');
        }
        json.append("\n  ],\n");
        json.append("  \"changelog_mode\": [");
        for (int i = 0; i < outcome.changelogMode.size(); i++) {
            json.append(i == 0 ? "" : ", ").append(quote(outcome.changelogMode.get(i)));
        }
        json.append("],\n");
        json.append("  \"changes\": [");
        for (int i = 0; i < outcome.changes.size(); i++) {
            json.append(i == 0 ? "\n    [" : ",\n    [");
            List<String> change = outcome.changes.get(i);
            for (int j = 0; j < change.size(); j++) {
                json.append(j == 0 ? "" : ", ").append(quote(change.get(j)));
            }
            json.append(']');
        }
        json.append(outcome.changes.isEmpty() ? "]\n" : "\n  ]\n");
        return json.append("}\n").toString();
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }

    static void writeGolden(Path target, String json) throws IOException {
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.writeString(partial, json, StandardCharsets.UTF_8);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
