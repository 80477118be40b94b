//! Flink's `jdbc` connector on PostgreSQL: read whole as a bounded source (see
//! [`super::jdbc_scan`]), or as a lookup source: a lookup join asks the database for the rows
//! whose key columns equal a stream row's, through a prepared statement on one connection
//! (tokio-postgres, pipelined), behind Flink's lookup cache.
//!
//! Options as Flink's connector takes them: `url` (`jdbc:postgresql://host[:port]/database`),
//! `table-name`, `username`, `password`, `driver` (`org.postgresql.Driver`, if given),
//! `connection.max-retry-timeout`, `lookup.cache` (NONE, PARTIAL; FULL as Flink's connector
//! takes it: no cache, its `lookup.full-cache.*` options refused), `lookup.partial-cache.max-rows`,
//! `.expire-after-write`, `.expire-after-access`, `.cache-missing-key`, and
//! `lookup.max-retries`. The password never appears in an error.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::scalar::ScalarValue;
use pipegen_sql::CreateTable;
use tokio::sync::Mutex;

use crate::error::EngineError;

/// Where and how to read a jdbc table.
#[derive(Clone)]
pub struct JdbcTable {
    /// The table's name in the SQL file.
    pub name: String,
    host: String,
    port: u16,
    database: String,
    username: Option<String>,
    password: Option<String>,
    /// `table-name`, as the database knows it.
    table_name: String,
    pub schema: SchemaRef,
    pub lookup: LookupOptions,
    connect_timeout: Duration,
}

impl std::fmt::Debug for JdbcTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No password.
        f.debug_struct("JdbcTable")
            .field("name", &self.name)
            .field("url", &self.url())
            .field("table_name", &self.table_name)
            .finish()
    }
}

/// `lookup.*` options.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupOptions {
    pub cache: Option<PartialCache>,
    /// `lookup.max-retries` (Flink's default 3): attempts after a failed lookup.
    pub max_retries: u32,
    /// A LOOKUP hint's retries of a lookup that found no row.
    pub miss_retry: Option<crate::hints::MissRetry>,
}

/// `lookup.cache` = PARTIAL.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialCache {
    /// `None`: as many as come (bounded by expiry).
    pub max_rows: Option<usize>,
    pub expire_after_write: Option<Duration>,
    pub expire_after_access: Option<Duration>,
    pub cache_missing_key: bool,
}

impl JdbcTable {
    pub fn from_table(table: &CreateTable, schema: SchemaRef) -> Result<Self, EngineError> {
        let option = |key: &str| table.option(key).map(str::trim);
        let invalid = |message: String| EngineError::Invalid(format!("table `{}`: {message}", table.name));
        let url = option("url").ok_or_else(|| invalid("the jdbc connector needs 'url'".into()))?;
        let (host, port, database) = parse_url(url).map_err(invalid)?;
        if let Some(driver) = option("driver")
            && driver != "org.postgresql.Driver"
        {
            return Err(EngineError::unsupported(format!(
                "the jdbc driver '{driver}' (the embedded engine speaks to PostgreSQL: 'org.postgresql.Driver')"
            )));
        }
        let table_name = option("table-name")
            .ok_or_else(|| invalid("the jdbc connector needs 'table-name'".into()))?
            .to_owned();
        let connect_timeout = match option("connection.max-retry-timeout") {
            Some(text) => crate::options::parse_duration(text).ok_or_else(|| {
                invalid(format!(
                    "'connection.max-retry-timeout' = '{text}' is no duration (such as '60 s')"
                ))
            })?,
            None => Duration::from_secs(60),
        };
        Ok(Self {
            name: table.name.clone(),
            host,
            port,
            database,
            username: option("username").map(str::to_owned),
            password: table.option("password").map(str::to_owned),
            table_name,
            schema,
            lookup: LookupOptions::from_table(table)?,
            connect_timeout,
        })
    }

    /// The URL without credentials.
    pub fn url(&self) -> String {
        format!("jdbc:postgresql://{}:{}/{}", self.host, self.port, self.database)
    }

    /// `table-name`, as the database knows it.
    pub fn table_name(&self) -> &str {
        &self.table_name
    }

    /// A connection to the database, its driver spawned on the runtime.
    pub(crate) async fn connect(&self) -> Result<tokio_postgres::Client, EngineError> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .connect_timeout(self.connect_timeout)
            .application_name("pipegen");
        if let Some(user) = &self.username {
            config.user(user);
        }
        if let Some(password) = &self.password {
            config.password(password);
        }
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| self.error("cannot connect", &e))?;
        tokio::spawn(async move {
            // The client's queries fail when the connection ends; nothing to do here.
            let _ = connection.await;
        });
        Ok(client)
    }

    /// The database's rows (every column selected as text) as a batch of the table's schema.
    fn batch(&self, rows: &[tokio_postgres::Row]) -> Result<RecordBatch, EngineError> {
        let columns = self
            .schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let texts: StringArray = rows.iter().map(|row| row.get::<_, Option<String>>(i)).collect();
                from_text(Arc::new(texts), field.data_type()).map_err(|e| {
                    EngineError::Invalid(format!(
                        "jdbc table `{}`: column `{}` does not read as {}: {e}",
                        self.name,
                        field.name(),
                        field.data_type()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &options,
        )?)
    }

    /// Every row of the table, as Flink's bounded jdbc scan reads it (one query), in batches
    /// of at most `batch_rows`.
    pub async fn scan(&self, batch_rows: usize) -> Result<Vec<RecordBatch>, EngineError> {
        let sql = self.select_all();
        let client = self.connect().await?;
        let rows = client
            .query(sql.as_str(), &[])
            .await
            .map_err(|e| self.error("cannot read the table", &e))?;
        rows.chunks(batch_rows.max(1)).map(|chunk| self.batch(chunk)).collect()
    }

    /// `SELECT` of every column as text (converted as Flink's types say) `FROM` the table.
    fn select_all(&self) -> String {
        let columns: Vec<String> = self
            .schema
            .fields()
            .iter()
            .map(|f| format!("{}::text", quote_column(f.name())))
            .collect();
        format!("SELECT {} FROM {}", columns.join(", "), quote_table(&self.table_name))
    }

    /// A database error, with where it came from and never the password.
    pub(crate) fn error(&self, doing: &str, error: &tokio_postgres::Error) -> EngineError {
        let detail = error
            .as_db_error()
            .map(|db| db.message().to_owned())
            .unwrap_or_else(|| error.to_string());
        let detail = match &self.password {
            Some(password) if !password.is_empty() => detail.replace(password.as_str(), "***"),
            _ => detail,
        };
        EngineError::Invalid(format!(
            "jdbc table `{}` ({} table '{}'): {doing}: {detail}",
            self.name,
            self.url(),
            self.table_name
        ))
    }
}

impl LookupOptions {
    fn from_table(table: &CreateTable) -> Result<Self, EngineError> {
        let invalid = |message: String| EngineError::Invalid(format!("table `{}`: {message}", table.name));
        let duration = |key: &str| -> Result<Option<Duration>, EngineError> {
            table
                .option(key)
                .map(|text| {
                    crate::options::parse_duration(text).ok_or_else(|| {
                        invalid(format!(
                            "'{key}' = '{text}' is no duration (such as '10 min' or '30 s')"
                        ))
                    })
                })
                .transpose()
        };
        let cache = match table.option("lookup.cache").map(|v| v.trim().to_ascii_uppercase()) {
            None => None,
            Some(v) if v == "NONE" => None,
            Some(v) if v == "PARTIAL" => {
                let max_rows = table
                    .option("lookup.partial-cache.max-rows")
                    .map(|text| {
                        text.trim()
                            .parse::<usize>()
                            .map_err(|_| invalid(format!("'lookup.partial-cache.max-rows' = '{text}' is no row count")))
                    })
                    .transpose()?;
                let expire_after_write = duration("lookup.partial-cache.expire-after-write")?;
                let expire_after_access = duration("lookup.partial-cache.expire-after-access")?;
                if max_rows.is_none() && expire_after_write.is_none() && expire_after_access.is_none() {
                    return Err(invalid(
                        "'lookup.cache' = 'PARTIAL' needs a bound: 'lookup.partial-cache.max-rows', '.expire-after-write' or '.expire-after-access', as Flink requires".into(),
                    ));
                }
                let cache_missing_key = match table.option("lookup.partial-cache.cache-missing-key") {
                    None => true,
                    Some(text) => match text.trim().to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(invalid(format!(
                                "'lookup.partial-cache.cache-missing-key' = '{text}' is neither true nor false"
                            )));
                        }
                    },
                };
                Some(PartialCache {
                    max_rows,
                    expire_after_write,
                    expire_after_access,
                    cache_missing_key,
                })
            }
            // Flink's jdbc connector takes FULL and keeps no cache: every key is looked up,
            // as with NONE. It refuses the `lookup.full-cache.*` options (below).
            Some(v) if v == "FULL" => None,
            Some(other) => {
                return Err(invalid(format!(
                    "'lookup.cache' = '{other}' is not a cache Flink knows: NONE, PARTIAL or FULL"
                )));
            }
        };
        if let Some(option) = table.options.iter().find(|o| o.key.starts_with("lookup.full-cache.")) {
            return Err(invalid(format!(
                "'{}' is not an option of Flink's jdbc connector, which has no FULL cache (Flink: \"Unsupported options found for 'jdbc'\"); with 'lookup.cache' = 'FULL' it looks every key up, as with NONE: use 'PARTIAL' to cache",
                option.key
            )));
        }
        let max_retries = match table.option("lookup.max-retries") {
            Some(text) => text
                .trim()
                .parse::<u32>()
                .map_err(|_| invalid(format!("'lookup.max-retries' = '{text}' is no count")))?,
            None => 3,
        };
        Ok(Self {
            cache,
            max_retries,
            miss_retry: None,
        })
    }
}

/// `jdbc:postgresql://host[:port]/database[?...]` → host, port, database.
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url.strip_prefix("jdbc:postgresql://").ok_or_else(|| {
        format!("'url' = '{url}' is not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database)")
    })?;
    let rest = rest.split('?').next().unwrap_or(rest);
    let (address, database) = rest
        .split_once('/')
        .ok_or_else(|| format!("'url' = '{url}' names no database (jdbc:postgresql://host:port/database)"))?;
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("'url' = '{url}' has no valid port"))?,
        ),
        None => (address, 5432),
    };
    if host.is_empty() || database.is_empty() {
        return Err(format!("'url' = '{url}' needs a host and a database"));
    }
    Ok((host.to_owned(), port, database.to_owned()))
}

/// Quotes a (possibly schema-qualified) table name for PostgreSQL.
pub(crate) fn quote_table(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn quote_column(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The rows of a jdbc table for one key at a time: one connection, one prepared statement,
/// re-opened when the connection fails.
pub struct Lookup {
    table: JdbcTable,
    /// The key columns' positions in the table's schema.
    keys: Vec<usize>,
    connection: Mutex<Option<(Arc<tokio_postgres::Client>, tokio_postgres::Statement)>>,
}

impl Lookup {
    pub fn new(table: JdbcTable, keys: Vec<usize>) -> Self {
        Self {
            table,
            keys,
            connection: Mutex::new(None),
        }
    }

    pub fn table(&self) -> &JdbcTable {
        &self.table
    }

    /// The statement: every column as text (converted as Flink's types say), the keys
    /// compared in the database's own column types.
    async fn prepare(&self) -> Result<(Arc<tokio_postgres::Client>, tokio_postgres::Statement), EngineError> {
        let client = self.table.connect().await?;
        let types = client
            .query(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
                 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
                &[&self.table.table_name],
            )
            .await
            .map_err(|e| self.table.error("cannot read the table's columns", &e))?;
        let column_type = |name: &str| -> Result<String, EngineError> {
            types
                .iter()
                .find(|row| row.get::<_, String>(0) == name)
                .map(|row| row.get::<_, String>(1))
                .ok_or_else(|| {
                    EngineError::Invalid(format!(
                        "jdbc table `{}`: the database's table '{}' has no column `{name}`",
                        self.table.name, self.table.table_name
                    ))
                })
        };
        for field in self.table.schema.fields() {
            column_type(field.name())?;
        }
        let mut conditions = Vec::new();
        for (n, key) in self.keys.iter().enumerate() {
            let name = self.table.schema.field(*key).name();
            conditions.push(format!(
                "{} = ${}::text::{}",
                quote_column(name),
                n + 1,
                column_type(name)?
            ));
        }
        let sql = format!("{} WHERE {}", self.table.select_all(), conditions.join(" AND "));
        let statement = client
            .prepare(&sql)
            .await
            .map_err(|e| self.table.error("cannot prepare the lookup", &e))?;
        Ok((Arc::new(client), statement))
    }

    /// The table's rows whose key columns equal `keys` (in the order of `Lookup::new`'s
    /// keys), as a batch of the table's schema; retried `lookup.max-retries` times, on a new
    /// connection when the old one failed.
    pub async fn rows(&self, keys: &[ScalarValue]) -> Result<RecordBatch, EngineError> {
        let texts: Vec<String> = keys.iter().map(key_text).collect::<Result<_, _>>()?;
        let mut attempt = 0;
        loop {
            match self.query(&texts).await {
                Ok(rows) => return self.table.batch(&rows),
                Err(error) if attempt < self.table.lookup.max_retries => {
                    attempt += 1;
                    *self.connection.lock().await = None;
                    // Flink's JDBC lookup waits a second between attempts.
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    let _ = error;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn query(&self, texts: &[String]) -> Result<Vec<tokio_postgres::Row>, EngineError> {
        let (client, statement) = {
            let mut connection = self.connection.lock().await;
            if connection.as_ref().is_none_or(|(client, _)| client.is_closed()) {
                *connection = Some(self.prepare().await?);
            }
            let (client, statement) = connection.as_ref().expect("just made");
            (client.clone(), statement.clone())
        };
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = texts
            .iter()
            .map(|t| t as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        client
            .query(&statement, &params)
            .await
            .map_err(|e| self.table.error("the lookup failed", &e))
    }
}

/// A key value as the text the statement casts to the column's type.
fn key_text(value: &ScalarValue) -> Result<String, EngineError> {
    let array = value.to_array_of_size(1)?;
    let text = cast(&array, &DataType::Utf8)?;
    Ok(ScalarValue::try_from_array(&text, 0)?.to_string())
}

/// PostgreSQL's text form of a value as the Arrow type the table declares.
fn from_text(texts: ArrayRef, data_type: &DataType) -> Result<ArrayRef, datafusion::arrow::error::ArrowError> {
    match data_type {
        DataType::Utf8 => Ok(texts),
        // PostgreSQL writes booleans as t and f.
        DataType::Boolean => {
            let strings = texts.as_any().downcast_ref::<StringArray>().expect("text");
            Ok(Arc::new(
                strings
                    .iter()
                    .map(|v| v.map(|v| v == "t" || v == "true"))
                    .collect::<datafusion::arrow::array::BooleanArray>(),
            ))
        }
        other => cast(&texts, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgresql_urls_give_host_port_and_database() {
        assert_eq!(
            parse_url("jdbc:postgresql://db.internal:6543/shop?sslmode=disable").unwrap(),
            ("db.internal".into(), 6543, "shop".into())
        );
        assert_eq!(parse_url("jdbc:postgresql://localhost/shop").unwrap().1, 5432);
        assert!(parse_url("jdbc:mysql://localhost:3306/shop").is_err());
        assert!(parse_url("jdbc:postgresql://localhost:5432").is_err());
    }

    #[test]
    fn table_names_are_quoted_part_by_part() {
        assert_eq!(quote_table("public.user\"s"), "\"public\".\"user\"\"s\"");
    }
}
