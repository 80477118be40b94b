-- A regular FULL OUTER JOIN of two updating GROUP BY results (laptop orders per user, checkout
-- clicks per user): the join emits -D/+I pairs as either side updates.

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

SELECT COALESCE(o.user_id, c.user_id) AS user_id, o.orders, o.spent, c.checkouts
FROM (
  SELECT user_id, COUNT(*) AS orders, SUM(amount) AS spent
  FROM orders WHERE product = 'laptop' AND user_id IS NOT NULL GROUP BY user_id
) AS o
FULL OUTER JOIN (
  SELECT user_id, COUNT(*) AS checkouts FROM clicks WHERE url = '/checkout' GROUP BY user_id
) AS c ON o.user_id = c.user_id;
