-- SESSION window TVF without PARTITION BY (one global session stream) over a view
-- of checkout clicks (20 s gap); the watermark comes from all clicks, since the filter is after the
-- watermark assigner.

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

CREATE TEMPORARY VIEW checkouts AS
SELECT user_id, ts FROM clicks WHERE url = '/checkout';

SELECT window_start, window_end, COUNT(*) AS checkouts, COUNT(DISTINCT user_id) AS users
FROM TABLE(SESSION(TABLE checkouts, DESCRIPTOR(ts), INTERVAL '20' SECOND))
GROUP BY window_start, window_end;
