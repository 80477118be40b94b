-- NOT IN subquery (a null-aware anti join): laptop orders of unknown users; an order with a NULL
-- user_id is not in the result (NULL NOT IN (...) is not TRUE).

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

SELECT order_id, user_id, amount
FROM orders
WHERE product IN ('laptop', 'cable') AND user_id NOT IN (SELECT user_id FROM users);
