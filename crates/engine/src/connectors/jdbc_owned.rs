//! Dimension tables `pipegen run` owns: before the load it creates the table in its database
//! when it is missing (columns and primary key from the SQL's `CREATE TABLE`, Flink's types
//! as Flink's JDBC connector maps them to PostgreSQL's), fills it with generated rows, and at
//! cleanup removes exactly what it made: the table it created, or the rows it inserted (by
//! their key, so an existing table needs its key to be unique).

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema};
use pipegen_sql::{ColumnKind, CreateTable, FlinkType, TypeKind};

use super::jdbc::{JdbcTable, quote_column, quote_table};
use crate::error::EngineError;

/// The rows deleted in one statement at cleanup.
const DELETE_CHUNK: usize = 10_000;

/// A jdbc table pipegen fills, and what it made there.
pub struct OwnedTable {
    table: JdbcTable,
    /// `table-name`, as the database knows it.
    table_name: String,
    key_column: String,
    created: bool,
    /// The keys of the rows it inserted (as text), for cleanup.
    inserted: Vec<String>,
}

impl std::fmt::Debug for OwnedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedTable")
            .field("table", &self.table)
            .field("created", &self.created)
            .field("inserted", &self.inserted.len())
            .finish()
    }
}

impl OwnedTable {
    /// Connects and makes sure the table is there: created from `table`'s columns and key
    /// when missing; an existing one must hold its key unique.
    pub async fn open(table: &CreateTable) -> Result<OwnedTable, EngineError> {
        let refuse = |message: String| EngineError::Invalid(format!("dimension table `{}`: {message}", table.name));
        if table.connector() != Some("jdbc") {
            return Err(refuse(format!(
                "pipegen fills jdbc tables, and its connector is '{}'",
                table.connector().unwrap_or("none")
            )));
        }
        let key_column = match table.primary_key.as_deref() {
            Some([key]) => key.clone(),
            Some(_) => return Err(refuse("pipegen fills tables of a one-column PRIMARY KEY".into())),
            None => {
                return Err(refuse(
                    "it has no PRIMARY KEY: pipegen removes exactly the rows it made by their key".into(),
                ));
            }
        };
        let mut fields = Vec::new();
        let mut definitions = Vec::new();
        for column in &table.columns {
            let ColumnKind::Physical(ty) = &column.kind else {
                continue;
            };
            fields.push(Field::new(&column.name, crate::types::arrow_type(ty)?, ty.nullable));
            let pg = postgres_type(ty).ok_or_else(|| {
                refuse(format!(
                    "pipegen cannot create a PostgreSQL column for `{}` {}: create the table yourself",
                    column.name, ty.kind
                ))
            })?;
            let not_null = if ty.nullable || column.name == key_column {
                ""
            } else {
                " NOT NULL"
            };
            definitions.push(format!("{} {pg}{not_null}", quote_column(&column.name)));
        }
        let jdbc = JdbcTable::from_table(table, Arc::new(Schema::new(fields)))?;
        let table_name = jdbc.table_name().to_owned();
        let client = jdbc.connect().await?;
        let quoted = quote_table(&table_name);
        let existing = client
            .query_one("SELECT to_regclass($1)::text", &[&quoted])
            .await
            .map_err(|e| jdbc.error("cannot look the table up", &e))?
            .get::<_, Option<String>>(0)
            .is_some();
        if existing {
            let unique = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a \
                     ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
                     WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnkeyatts = 1 AND a.attname = $2)",
                    &[&quoted, &key_column],
                )
                .await
                .map_err(|e| jdbc.error("cannot read the table's keys", &e))?
                .get::<_, bool>(0);
            if !unique {
                return Err(refuse(format!(
                    "the table '{table_name}' exists without a unique key on `{key_column}`: pipegen could not remove exactly the rows it made (add the PRIMARY KEY, or let pipegen create the table)"
                )));
            }
        } else {
            let create = format!(
                "CREATE TABLE {quoted} ({}, PRIMARY KEY ({}))",
                definitions.join(", "),
                quote_column(&key_column)
            );
            client
                .batch_execute(&create)
                .await
                .map_err(|e| jdbc.error("cannot create the table", &e))?;
        }
        Ok(OwnedTable {
            table: jdbc,
            table_name,
            key_column,
            created: !existing,
            inserted: Vec::new(),
        })
    }

    /// Whether pipegen created the table (and drops it at cleanup).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The rows pipegen inserted.
    pub fn inserted(&self) -> u64 {
        self.inserted.len() as u64
    }

    pub fn name(&self) -> &str {
        &self.table.name
    }

    /// Inserts `rows`, a JSON array of objects whose keys are the table's columns; a row whose
    /// key the table holds already is left as it is. Returns the rows inserted.
    pub async fn insert_json(&mut self, rows: &str) -> Result<u64, EngineError> {
        let client = self.table.connect().await?;
        let quoted = quote_table(&self.table_name);
        // PostgreSQL reads the JSON into the table's own row type: one statement per batch.
        let insert = format!(
            "INSERT INTO {quoted} SELECT * FROM json_populate_recordset(NULL::{quoted}, $1::text::json) \
             ON CONFLICT DO NOTHING RETURNING {}::text",
            quote_column(&self.key_column)
        );
        let inserted = client
            .query(insert.as_str(), &[&rows])
            .await
            .map_err(|e| self.table.error("cannot insert the generated rows", &e))?;
        let count = inserted.len() as u64;
        self.inserted.extend(inserted.iter().map(|row| row.get::<_, String>(0)));
        Ok(count)
    }

    /// Removes what pipegen made: the table when it created it, else the rows it inserted.
    /// Says what it removed.
    pub async fn remove(self) -> Result<String, EngineError> {
        let client = self.table.connect().await?;
        let quoted = quote_table(&self.table_name);
        if self.created {
            client
                .batch_execute(&format!("DROP TABLE {quoted}"))
                .await
                .map_err(|e| self.table.error("cannot drop the table pipegen created", &e))?;
            return Ok(format!("dropped table '{}'", self.table_name));
        }
        let delete = format!(
            "DELETE FROM {quoted} WHERE {}::text = ANY($1)",
            quote_column(&self.key_column)
        );
        let mut deleted = 0;
        for keys in self.inserted.chunks(DELETE_CHUNK) {
            deleted += client
                .execute(delete.as_str(), &[&keys])
                .await
                .map_err(|e| self.table.error("cannot delete the rows pipegen inserted", &e))?;
        }
        Ok(format!("deleted {deleted} rows from '{}'", self.table_name))
    }
}

/// The PostgreSQL type Flink's JDBC connector maps `ty` to; `None` for types pipegen does not
/// create columns of.
fn postgres_type(ty: &FlinkType) -> Option<String> {
    Some(match &ty.kind {
        TypeKind::Boolean => "BOOLEAN".into(),
        TypeKind::TinyInt | TypeKind::SmallInt => "SMALLINT".into(),
        TypeKind::Int => "INTEGER".into(),
        TypeKind::BigInt => "BIGINT".into(),
        TypeKind::Float => "REAL".into(),
        TypeKind::Double => "DOUBLE PRECISION".into(),
        TypeKind::Decimal { precision, scale } => format!("NUMERIC({precision}, {scale})"),
        TypeKind::Char(n) => format!("CHAR({n})"),
        TypeKind::Varchar(n) => format!("VARCHAR({n})"),
        TypeKind::String => "TEXT".into(),
        TypeKind::Binary(_) | TypeKind::Varbinary(_) | TypeKind::Bytes => "BYTEA".into(),
        TypeKind::Date => "DATE".into(),
        TypeKind::Time(p) => format!("TIME({p})"),
        TypeKind::Timestamp(p) => format!("TIMESTAMP({p})"),
        TypeKind::TimestampLtz(p) => format!("TIMESTAMPTZ({p})"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_types_map_as_flinks_jdbc_connector_maps_them() {
        let ty = |kind| FlinkType { kind, nullable: true };
        assert_eq!(postgres_type(&ty(TypeKind::BigInt)).unwrap(), "BIGINT");
        assert_eq!(
            postgres_type(&ty(TypeKind::Decimal {
                precision: 10,
                scale: 2
            }))
            .unwrap(),
            "NUMERIC(10, 2)"
        );
        assert_eq!(postgres_type(&ty(TypeKind::String)).unwrap(), "TEXT");
        assert_eq!(postgres_type(&ty(TypeKind::TimestampLtz(3))).unwrap(), "TIMESTAMPTZ(3)");
        assert_eq!(postgres_type(&ty(TypeKind::Array(Box::new(ty(TypeKind::Int))))), None);
    }
}
