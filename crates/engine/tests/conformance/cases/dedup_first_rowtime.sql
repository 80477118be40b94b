-- Deduplication keep-first on event time (ROW_NUMBER ... ORDER BY ts ASC, rn = 1): Flink drops
-- rows with ts < watermark, buffers the smallest ts per key and emits it insert-only when the
-- watermark passes. Three users' true first orders arrive late, so they keep a later order.

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

SELECT user_id, order_id, product, ts
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts ASC) AS rn
  FROM orders
)
WHERE rn = 1;
