-- expect: error
-- Flink's jdbc connector has no FULL cache: it takes 'lookup.cache' = 'FULL' (and then looks
-- every key up, as without a cache) but refuses the 'lookup.full-cache.*' options.

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
  'password' = '${JDBC_PASSWORD}',
  'lookup.cache' = 'FULL',
  'lookup.full-cache.reload-strategy' = 'PERIODIC'
);

SELECT o.order_id, o.user_id, u.name, u.tier, o.amount
FROM orders AS o
LEFT JOIN users FOR SYSTEM_TIME AS OF o.proc_time AS u
ON o.user_id = u.user_id
WHERE o.currency = 'EUR';
