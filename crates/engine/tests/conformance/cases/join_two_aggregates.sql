-- A regular inner join of two updating aggregates: orders per user and clicks per user.

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

CREATE TABLE clicks (
  user_id BIGINT,
  url STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/clicks.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT o.user_id, o.orders, c.clicks, CAST(o.orders AS DOUBLE) / c.clicks AS orders_per_click
FROM (SELECT user_id, COUNT(*) AS orders FROM orders WHERE status = 'CANCELLED' GROUP BY user_id) AS o
JOIN (SELECT user_id, COUNT(*) AS clicks FROM clicks WHERE url = '/help' GROUP BY user_id) AS c
  ON o.user_id = c.user_id;
