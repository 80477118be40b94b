-- CREATE VIEW and an updating aggregate over the view.

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

CREATE VIEW big_orders AS
SELECT order_id, product, amount, ts FROM orders WHERE amount > 200;

SELECT product, COUNT(*) AS orders, MIN(amount) AS smallest
FROM big_orders
GROUP BY product;
