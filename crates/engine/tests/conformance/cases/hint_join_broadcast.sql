-- Join hints (BROADCAST on the dimension side, and SHUFFLE_HASH) on a streaming regular join:
-- accepted, the result is the join's.

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

SELECT /*+ BROADCAST(u), SHUFFLE_HASH(o, u) */ o.order_id, u.name, u.tier
FROM orders AS o
JOIN users AS u ON o.user_id = u.user_id
WHERE o.amount > 200;
