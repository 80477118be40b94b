-- SESSION window TVF without PARTITION BY but grouped by another key: Flink plans a window TVF
-- followed by a regular, updating aggregate.

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

CREATE TEMPORARY VIEW help_and_cart AS
SELECT user_id, url, ts FROM clicks WHERE url IN ('/help', '/cart');

SELECT window_start, window_end, url, COUNT(*) AS clicks
FROM TABLE(SESSION(TABLE help_and_cart, DESCRIPTOR(ts), INTERVAL '45' SECOND))
GROUP BY window_start, window_end, url;
