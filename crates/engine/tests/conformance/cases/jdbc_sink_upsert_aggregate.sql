-- INSERT of an updating aggregation into a jdbc table with a PRIMARY KEY: Flink's jdbc sink
-- upserts each change by key (the update's before-image skipped), so PostgreSQL ends with
-- each user's final totals; NULL amounts and a NULL user id included.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

CREATE TABLE user_totals (
  user_id BIGINT,
  orders BIGINT NOT NULL,
  total DECIMAL(38, 2),
  last_ts TIMESTAMP(3),
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${JDBC_URL}',
  'table-name' = 'user_totals',
  'username' = '${JDBC_USER}',
  'password' = '${JDBC_PASSWORD}',
  'sink.buffer-flush.max-rows' = '50'
);

INSERT INTO user_totals
SELECT user_id, COUNT(*) AS orders, SUM(amount) AS total, MAX(ts) AS last_ts
FROM orders
WHERE user_id IS NOT NULL
GROUP BY user_id;
