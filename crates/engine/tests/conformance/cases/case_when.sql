-- CASE (searched and simple forms), IF, nested COALESCE, and the result types of CASE over
-- literals (VARCHAR(n) NOT NULL).

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

SELECT order_id,
  CASE WHEN amount >= 500 THEN 'xl' WHEN amount >= 100 THEN 'l' WHEN amount >= 20 THEN 'm' ELSE 's' END AS size,
  CASE status WHEN 'PAID' THEN 1 WHEN 'SHIPPED' THEN 2 ELSE 0 END AS stage,
  IF(coupon IS NULL, 'full price', 'discounted') AS pricing,
  COALESCE(CAST(user_id AS STRING), coupon, 'anonymous') AS who
FROM orders
WHERE order_id % 10 = 0;
