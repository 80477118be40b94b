-- Several windows in one query: two windowed views (orders and clicks per minute) joined on
-- their window bounds.

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

CREATE TABLE clicks (
  user_id BIGINT,
  url STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/clicks.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

CREATE TEMPORARY VIEW orders_per_minute AS
SELECT window_start, window_end, COUNT(*) AS orders, SUM(amount) AS revenue
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end;

CREATE TEMPORARY VIEW clicks_per_minute AS
SELECT window_start, window_end, COUNT(*) AS clicks, COUNT(DISTINCT user_id) AS visitors
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end;

SELECT o.window_start, o.window_end, o.orders, o.revenue, c.clicks, c.visitors
FROM orders_per_minute AS o
JOIN clicks_per_minute AS c
  ON o.window_start = c.window_start AND o.window_end = c.window_end;
