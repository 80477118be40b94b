-- Top-N over an updating input: the 3 products with the most revenue so far (a running SUM),
-- which uses all four change kinds.

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

SELECT product, revenue, rn
FROM (
  SELECT product, revenue, ROW_NUMBER() OVER (ORDER BY revenue DESC) AS rn
  FROM (SELECT product, SUM(amount) AS revenue FROM orders GROUP BY product)
)
WHERE rn <= 3;
