-- Window Top-N over a HOP aggregation (slide 1 min, size 5 min): the 2 users with the most orders
-- per window (HOP's per-window lateness rule).

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

SELECT window_start, window_end, user_id, orders, rn
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY orders DESC, spent DESC) AS rn
  FROM (
    SELECT window_start, window_end, user_id, COUNT(*) AS orders, SUM(amount) AS spent
    FROM TABLE(HOP(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
    WHERE user_id IS NOT NULL
    GROUP BY window_start, window_end, user_id
  )
)
WHERE rn <= 2;
