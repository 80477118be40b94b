-- LISTAGG in an updating GROUP BY: NULL values are skipped; the default separator is ','.

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

SELECT user_id, LISTAGG(coupon) AS coupons, COUNT(coupon) AS with_coupon
FROM orders
WHERE user_id <= 6
GROUP BY user_id;
