-- Window deduplication keep-last over HOP windows (slide 2 min, size 4 min): the last click per
-- user in each window.

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

SELECT window_start, window_end, user_id, url, ts
FROM (
  SELECT window_start, window_end, user_id, url, ts,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, user_id ORDER BY ts DESC) AS rn
  FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' MINUTE, INTERVAL '4' MINUTE))
)
WHERE rn = 1;
