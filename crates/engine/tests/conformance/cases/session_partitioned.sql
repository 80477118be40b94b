-- SESSION window TVF with PARTITION BY (30 s gap) over clicks: a late row is first merged with
-- the live sessions of its key and dropped only if the merged session has already fired.

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

SELECT window_start, window_end, user_id,
  COUNT(*) AS clicks, COUNT(DISTINCT url) AS pages, MIN(ts) AS first_click, MAX(ts) AS last_click
FROM TABLE(SESSION(TABLE clicks PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '30' SECOND))
GROUP BY window_start, window_end, user_id;
