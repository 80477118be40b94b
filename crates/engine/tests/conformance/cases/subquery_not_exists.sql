-- Correlated NOT EXISTS subquery: shipped orders without a shipment.

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

SELECT o.order_id, o.status, o.ts
FROM orders AS o
WHERE o.status = 'SHIPPED'
  AND NOT EXISTS (SELECT 1 FROM shipments AS s WHERE s.order_id = o.order_id);
