//! The connector and format jars a project's SQL needs on Flink 2.1, by Maven coordinates:
//! the stock Flink image carries json, csv, raw, datagen, print, blackhole and filesystem; the
//! rest are fetched into the stack by Maven, so no download address is written anywhere.

/// A jar by its Maven coordinates (`group:artifact:version`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Jar {
    pub coordinates: &'static str,
}

/// Connectors and formats Flink's distribution ships.
const BUILT_IN: &[&str] = &["datagen", "print", "blackhole", "filesystem", "json", "csv", "raw"];

/// What a connector or format needs, or `None` for one pipegen cannot provide.
pub fn needed_for(name: &str) -> Option<Vec<Jar>> {
    let jars: &[&'static str] = match name {
        name if BUILT_IN.contains(&name) => &[],
        // The Kafka connector's release for Flink 2.0, which 2.1 runs.
        "kafka" | "upsert-kafka" => &["org.apache.flink:flink-sql-connector-kafka:4.0.0-2.0"],
        "avro" => &["org.apache.flink:flink-sql-avro:2.1.0"],
        "avro-confluent" => &["org.apache.flink:flink-sql-avro-confluent-registry:2.1.0"],
        // The jdbc connector on PostgreSQL, the database pipegen's dimension tables live in.
        "jdbc" => &[
            "org.apache.flink:flink-connector-jdbc-core:4.0.0-2.0",
            "org.apache.flink:flink-connector-jdbc-postgres:4.0.0-2.0",
            "org.postgresql:postgresql:42.7.7",
        ],
        _ => return None,
    };
    Some(jars.iter().map(|coordinates| Jar { coordinates }).collect())
}

impl Jar {
    /// The file Maven's `dependency:copy` writes (`artifact-version.jar`).
    pub fn file_name(&self) -> String {
        let mut parts = self.coordinates.split(':').skip(1);
        let artifact = parts.next().unwrap_or_default();
        let version = parts.next().unwrap_or_default();
        format!("{artifact}-{version}.jar")
    }
}

/// Fetches `$ARTIFACTS` (Maven coordinates) into `dir`; `compose` doubles the `$` signs.
pub fn fetch_script(dir: &str, compose: bool) -> String {
    let script = format!(
        "for artifact in $ARTIFACTS; do mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
         -Dartifact=$artifact -DoutputDirectory={dir}; done; ls {dir}"
    );
    if compose { script.replace('$', "$$") } else { script }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_connectors_need_nothing_and_unknown_ones_are_none() {
        assert_eq!(needed_for("datagen"), Some(vec![]));
        assert_eq!(
            needed_for("kafka").unwrap()[0].file_name(),
            "flink-sql-connector-kafka-4.0.0-2.0.jar"
        );
        assert_eq!(needed_for("jdbc").unwrap().len(), 3);
        assert_eq!(needed_for("mongodb"), None);
    }
}
