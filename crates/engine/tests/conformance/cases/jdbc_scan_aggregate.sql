-- A jdbc table read whole (Flink's bounded jdbc scan): users per tier and country, from
-- PostgreSQL.

CREATE TABLE users (
  user_id BIGINT,
  name STRING,
  email STRING,
  country STRING,
  tier STRING,
  credit DECIMAL(10, 2),
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${JDBC_URL}',
  'table-name' = 'users',
  'username' = '${JDBC_USER}',
  'password' = '${JDBC_PASSWORD}'
);

SELECT tier, country, COUNT(*) AS users, SUM(credit) AS credit, MAX(name) AS last_name
FROM users
GROUP BY tier, country;
