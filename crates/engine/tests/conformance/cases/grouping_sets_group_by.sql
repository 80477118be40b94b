-- GROUPING SETS in an updating GROUP BY (no window), with GROUPING_ID.

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

SELECT product, status, COUNT(*) AS orders, SUM(amount) AS total, GROUPING_ID(product, status) AS gid
FROM orders
WHERE user_id <= 4
GROUP BY GROUPING SETS ((product, status), (product), ());
