-- A lookup join through Flink's PARTIAL cache, smaller than the key space (rows are evicted
-- and looked up again), caching missing keys: the result is the uncached one.

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
  'lookup.cache' = 'PARTIAL',
  'lookup.partial-cache.max-rows' = '8',
  'lookup.partial-cache.expire-after-write' = '1 min',
  'lookup.partial-cache.cache-missing-key' = 'true',
  'lookup.max-retries' = '2'
);

SELECT o.order_id, u.name, u.country, o.amount
FROM orders AS o
JOIN users FOR SYSTEM_TIME AS OF o.proc_time AS u
ON o.user_id = u.user_id
WHERE o.status = 'PAID';
