-- A processing-time lookup join (INNER) of a stream with a PostgreSQL dimension table through
-- the jdbc connector: orders of users 36-40 (not in the table) and of NULL users are dropped.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  proc_time AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

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

SELECT o.order_id, o.user_id, u.name, u.tier, u.credit, o.amount
FROM orders AS o
JOIN users FOR SYSTEM_TIME AS OF o.proc_time AS u
ON o.user_id = u.user_id;
