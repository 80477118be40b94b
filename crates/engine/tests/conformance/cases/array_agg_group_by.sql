-- ARRAY_AGG in an updating GROUP BY (NULL elements kept).

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

SELECT user_id, ARRAY_AGG(coupon) AS coupons, ARRAY_AGG(DISTINCT currency) AS currencies
FROM orders
WHERE user_id IN (11, 12, 13) AND product IN ('cable', 'mouse', 'charger')
GROUP BY user_id;
