-- Projection and filter over an append-only source: decimal arithmetic result types
-- (amount * 2 is DECIMAL(21, 2), amount - 450 is DECIMAL(13, 2)) and a compound predicate.

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

SELECT order_id, UPPER(product) AS product, amount, amount * 2 AS doubled, amount - 450 AS over_450, ts
FROM orders
WHERE status = 'PAID' AND amount > 300 AND currency <> 'JPY';
