-- An updating GROUP BY on FLOOR(ts TO MINUTE): unlike a window, late rows are never dropped.

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

SELECT FLOOR(ts TO MINUTE) AS order_minute, COUNT(*) AS orders, SUM(amount) AS total
FROM orders
WHERE currency = 'GBP'
GROUP BY FLOOR(ts TO MINUTE);
