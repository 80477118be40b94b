-- Legacy group window: GROUP BY SESSION(ts, INTERVAL '30' SECOND), user_id with SESSION_START,
-- SESSION_END and SESSION_ROWTIME.

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

SELECT user_id,
  SESSION_START(ts, INTERVAL '30' SECOND) AS session_start,
  SESSION_END(ts, INTERVAL '30' SECOND) AS session_end,
  SESSION_ROWTIME(ts, INTERVAL '30' SECOND) AS session_rowtime,
  COUNT(*) AS clicks
FROM clicks
GROUP BY SESSION(ts, INTERVAL '30' SECOND), user_id;
