-- SIMILAR TO, LIKE, IS [NOT] DISTINCT FROM (NULL-safe comparison) and the || operator (NULL if
-- either side is NULL).

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

SELECT order_id, coupon, status,
  coupon SIMILAR TO '(VIP|SPRING)[0-9]+' AS promo,
  coupon LIKE '%SHIP' AS free_shipping,
  coupon IS DISTINCT FROM 'VIP20' AS not_vip,
  coupon IS NOT DISTINCT FROM NULL AS no_coupon,
  product || '-' || status AS label,
  product || coupon AS product_coupon
FROM orders
WHERE order_id % 15 = 0;
