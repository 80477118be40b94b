-- Interval join: a payment within 5 minutes after its order. Both sides declare a 3-minute
-- watermark delay (more than the data's disorder), so no row is late and the result is the
-- relational result of the predicate.

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

SELECT o.order_id, o.amount, p.payment_id, p.amount AS paid, p.pay_method, o.ts AS ordered_at, p.ts AS paid_at
FROM orders AS o
JOIN payments AS p
  ON o.order_id = p.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '5' MINUTE;
