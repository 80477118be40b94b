-- INSERT of a windowed aggregation into a jdbc table keyed by two columns: append-only rows
-- upserted by (product, window_start), one per product and 5-minute window.

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

CREATE TABLE product_windows (
  product STRING,
  window_start TIMESTAMP(3),
  orders BIGINT,
  revenue DECIMAL(38, 2),
  PRIMARY KEY (product, window_start) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = '${JDBC_URL}',
  'table-name' = 'product_windows',
  'username' = '${JDBC_USER}',
  'password' = '${JDBC_PASSWORD}'
);

INSERT INTO product_windows
SELECT product, window_start, COUNT(*) AS orders, SUM(amount) AS revenue
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
GROUP BY product, window_start, window_end;
