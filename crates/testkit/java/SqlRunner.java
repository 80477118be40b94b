// Runs Flink SQL statements, one per program argument, in one streaming TableEnvironment:
// the way SQL reaches a cluster without a SQL Gateway (submitted through the REST API's
// /jars/upload and /jars/{id}/run, as in Flink's application mode). Statements take effect in
// order; the job an INSERT or STATEMENT SET starts keeps running after main returns.
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;

public final class SqlRunner {
    // The SQL client's `SET 'key' = 'value'`, which executeSql does not take.
    private static final Pattern SET =
            Pattern.compile("(?is)\\s*SET\\s+'([^']+)'\\s*=\\s*'([^']*)'\\s*;?\\s*");

    public static void main(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("give one SQL statement per argument");
        }
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        for (String statement : args) {
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tables.getConfig().getConfiguration().setString(set.group(1), set.group(2));
            } else {
                tables.executeSql(statement);
            }
        }
    }
}
