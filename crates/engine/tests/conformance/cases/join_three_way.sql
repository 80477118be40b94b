-- Regular inner joins of three sources on order_id (no time condition).

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

CREATE TABLE shipments (
  shipment_id BIGINT,
  order_id BIGINT,
  carrier STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/shipments.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT o.order_id, o.product, p.pay_method, p.amount AS paid, s.carrier
FROM orders AS o
JOIN payments AS p ON o.order_id = p.order_id
JOIN shipments AS s ON s.order_id = o.order_id
WHERE o.product IN ('laptop', 'tablet');
