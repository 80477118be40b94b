#!/usr/bin/env bash
# Writes crates/sql/src/flink_functions.txt: the names of Flink 2.1's built-in functions, as
# Flink itself lists them (TableEnvironment.listFunctions on a fresh streaming environment).
# `pipegen validate` refuses a call to any other function unless the project creates it.
# Run after scripts/install-test-tools.sh, whenever the Flink version changes.
set -euo pipefail
cd "$(dirname "$0")/.."

while IFS= read -r line; do
  export "${line?}"
done < <(bash scripts/install-test-tools.sh)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/ListFunctions.java" <<'JAVA'
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlOperator;
import org.apache.flink.table.module.CoreModule;
import org.apache.flink.table.planner.functions.sql.FlinkSqlOperatorTable;

/** The functions Flink SQL resolves by name: the planner's operator table and the core module. */
public class ListFunctions {
    public static void main(String[] args) {
        for (SqlOperator operator : FlinkSqlOperatorTable.instance(false).getOperatorList()) {
            if (operator instanceof SqlFunction) {
                System.out.println(operator.getName());
            }
        }
        for (String name : CoreModule.INSTANCE.listFunctions()) {
            System.out.println(name);
        }
    }
}
JAVA
# The planner inside its loader jar, so that its operator table can be read directly.
unzip -q -o "$PIPEGEN_TEST_FLINK_HOME/lib/flink-table-planner-loader-2.1.0.jar" flink-table-planner.jar -d "$work"
classpath="$work/flink-table-planner.jar"
for jar in "$PIPEGEN_TEST_FLINK_HOME"/lib/*.jar; do
  case "$jar" in *planner-loader*) ;; *) classpath="$classpath:$jar" ;; esac
done
javac -cp "$classpath" -d "$work" "$work/ListFunctions.java"
out=crates/sql/src/flink_functions.txt
{
  echo "# Flink 2.1's built-in functions, written by scripts/flink-functions.sh from Flink itself."
  java -cp "$classpath:$work" ListFunctions 2>/dev/null | tr '[:lower:]' '[:upper:]' | sort -u
} > "$out.partial"
mv "$out.partial" "$out"
echo "wrote $(($(wc -l < "$out") - 1)) function names to $out"
