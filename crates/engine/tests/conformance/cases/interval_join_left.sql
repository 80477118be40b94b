-- LEFT interval join: orders without a shipment within 15 minutes are emitted NULL-padded once
-- the watermark passes their interval (3-minute watermark delay on both sides: no row is late).

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

SELECT o.order_id, o.product, s.shipment_id, s.carrier, o.ts AS ordered_at, s.ts AS shipped_at
FROM orders AS o
LEFT JOIN shipments AS s
  ON o.order_id = s.order_id AND s.ts BETWEEN o.ts AND o.ts + INTERVAL '15' MINUTE
WHERE o.status IN ('PAID', 'SHIPPED') AND o.currency = 'USD';
