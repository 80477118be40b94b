-- ROLLUP in an updating GROUP BY, with GROUPING(); NULL coupons form a group distinct from the
-- rolled-up rows.

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

SELECT currency, coupon, COUNT(*) AS orders, GROUPING(currency) AS g_currency, GROUPING(coupon) AS g_coupon
FROM orders
WHERE status = 'REFUNDED'
GROUP BY ROLLUP (currency, coupon);
