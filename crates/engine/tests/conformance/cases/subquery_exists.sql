-- Correlated EXISTS subquery: orders paid by paypal.

CREATE TABLE orders (
  order_id BIGINT,
  user_id BIGINT,
  product STRING,
  amount DECIMAL(10, 2),
  status STRING,
  currency STRING,
  coupon STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

CREATE TABLE payments (
  payment_id BIGINT,
  order_id BIGINT,
  amount DECIMAL(10, 2),
  pay_method STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/payments.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT o.order_id, o.product, o.amount
FROM orders AS o
WHERE EXISTS (SELECT 1 FROM payments AS p WHERE p.order_id = o.order_id AND p.pay_method = 'paypal');
