-- Top-N with ROW_NUMBER over an append-only input: the 3 largest orders per product, with the
-- rank number (an updating result).

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

SELECT product, order_id, amount, rn
FROM (
  SELECT product, order_id, amount,
    ROW_NUMBER() OVER (PARTITION BY product ORDER BY amount DESC) AS rn
  FROM orders
  WHERE amount IS NOT NULL
)
WHERE rn <= 3;
