-- CUBE in an updating GROUP BY, with GROUPING_ID.

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

SELECT status, currency, COUNT(*) AS orders, AVG(amount) AS average, GROUPING_ID(status, currency) AS gid
FROM orders
WHERE product = 'laptop'
GROUP BY CUBE (status, currency);
