-- expect: error
-- A join hint on a regular join naming a table the query does not have.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
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
  credit DECIMAL(10, 2)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/users.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT /*+ BROADCAST(customers) */ o.order_id, u.name
FROM orders AS o
JOIN users AS u ON o.user_id = u.user_id;
