-- The performance guide's enrichment example, made valid: a GROUP BY over a lookup join, with
-- a BROADCAST join hint, dynamic OPTIONS on the dimension table and a LOOKUP hint.

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

SELECT /*+ BROADCAST(u), LOOKUP('table'='u', 'retry-predicate'='lookup_miss', 'retry-strategy'='fixed_delay', 'fixed-delay'='10ms', 'max-attempts'='2') */
  o.user_id,
  u.name,
  SUM(o.amount) AS total
FROM orders AS o
JOIN users /*+ OPTIONS('lookup.cache'='PARTIAL', 'lookup.partial-cache.max-rows'='100') */
  FOR SYSTEM_TIME AS OF o.proc_time AS u
ON o.user_id = u.user_id
GROUP BY o.user_id, u.name;
