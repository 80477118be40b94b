-- COUNT(DISTINCT ...) in an updating GROUP BY (NULL user_id is not counted).

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

SELECT product, COUNT(DISTINCT user_id) AS buyers, COUNT(DISTINCT currency) AS currencies,
  COUNT(*) AS orders
FROM orders
GROUP BY product;
