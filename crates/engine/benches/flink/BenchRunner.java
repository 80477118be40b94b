// Runs the engine benchmarks' statements (crates/engine/benches/sql) on a real Flink cluster
// (scripts/flink-bench.sh starts it, compiles this file with the conformance GoldenRunner,
// whose statement splitter it uses, and runs it).
//
// Each run is a fresh streaming TableEnvironment whose jobs go to the remote cluster; the
// statements before the last set up tables, the last (an INSERT into a blackhole table) is the
// job. Its time is the job's `duration` from Flink's REST API (GET /jobs/{id}), which includes
// scheduling and code generation, as the anchors in shared/bench/flink-anchors.md count it.
// Prints each run's duration and rate (input rows / duration) and the median of the runs.
//
// Usage: BenchRunner <rest-address> <rest-port> <name> <input-rows> <runs> <file.sql>...
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

public final class BenchRunner {
    private static final Pattern DURATION = Pattern.compile("\"duration\"\\s*:\\s*(\\d+)");
    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z]+)\"");

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: BenchRunner <rest-address> <rest-port> <name> <input-rows> <runs> <file.sql>...");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String name = args[2];
        long rows = Long.parseLong(args[3]);
        int runs = Integer.parseInt(args[4]);
        StringBuilder script = new StringBuilder();
        for (int i = 5; i < args.length; i++) {
            script.append(Files.readString(Paths.get(args[i]), StandardCharsets.UTF_8)).append('\n');
        }
        // A lookup benchmark's jdbc table names its database as the corpus's cases do.
        List<String> statements = GoldenRunner.statements(GoldenRunner.database(script.toString()));
        HttpClient http = HttpClient.newHttpClient();
        List<Double> rates = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            Configuration conf = new Configuration();
            conf.setString("execution.target", "remote");
            conf.setString("rest.address", host);
            conf.setString("rest.port", Integer.toString(port));
            conf.setString("execution.runtime-mode", "streaming");
            conf.setString("parallelism.default", "1");
            conf.setString("table.local-time-zone", "UTC");
            conf.setString("pipeline.name", "bench " + name + " run " + run);
            TableEnvironment env = TableEnvironment.create(
                    EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
            for (String statement : statements.subList(0, statements.size() - 1)) {
                env.executeSql(statement);
            }
            TableResult result = env.executeSql(statements.get(statements.size() - 1));
            JobClient job = result.getJobClient().orElseThrow(() -> new IllegalStateException("the last statement started no job"));
            job.getJobExecutionResult().get();
            String body = http.send(
                    HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/jobs/" + job.getJobID())).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher state = STATE.matcher(body);
            Matcher duration = DURATION.matcher(body);
            if (!state.find() || !state.group(1).equals("FINISHED") || !duration.find()) {
                throw new IllegalStateException("job " + job.getJobID() + " did not finish: " + body);
            }
            long millis = Long.parseLong(duration.group(1));
            double rate = rows / (millis / 1000.0);
            rates.add(rate);
            System.out.printf("%-16s run %d: %6d ms  %8.3f M rows/s%n", name, run, millis, rate / 1e6);
        }
        Collections.sort(rates);
        double median = rates.get(rates.size() / 2);
        System.out.printf("%-16s median of %d: %.3f M rows/s (runs %s)%n", name, runs, median / 1e6,
                rates.stream().map(r -> String.format("%.3f", r / 1e6)).reduce((a, b) -> a + ", " + b).orElse(""));
    }
}
