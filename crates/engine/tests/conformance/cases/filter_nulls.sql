-- NULL handling in filters and projections: IS [NOT] NULL, COALESCE, NULLIF, and a comparison
-- with a NULL operand (NULL, not FALSE).

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

SELECT order_id, user_id, amount, coupon,
  COALESCE(coupon, 'none') AS coupon_or_none,
  user_id IS NULL AS no_user,
  NULLIF(status, 'NEW') AS status_unless_new,
  amount > 100 AS is_large
FROM orders
WHERE user_id IS NULL OR amount IS NULL OR (coupon IS NOT NULL AND order_id % 50 = 0);
