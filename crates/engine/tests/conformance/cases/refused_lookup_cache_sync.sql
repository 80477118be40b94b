-- expect: error
-- The guide's 'lookup.cache' = 'SYNC' in a dynamic OPTIONS hint: not a value Flink knows.

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

SELECT o.order_id, u.name
FROM orders AS o
JOIN users /*+ OPTIONS('lookup.cache'='SYNC') */ FOR SYSTEM_TIME AS OF o.proc_time AS u
ON o.user_id = u.user_id;
