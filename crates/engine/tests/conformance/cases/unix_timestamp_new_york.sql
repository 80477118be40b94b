-- UNIX_TIMESTAMP and FROM_UNIXTIME under SET 'table.local-time-zone' = 'America/New_York': text
-- timestamps are read in the session time zone, including times in the DST gap and overlap.
SET 'table.local-time-zone' = 'America/New_York';

CREATE TABLE texts (
  id INT,
  body STRING,
  code STRING,
  payload STRING,
  amount DECIMAL(10, 2),
  score DOUBLE,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/texts.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT id, ts,
  UNIX_TIMESTAMP(DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss')) AS epoch_seconds,
  UNIX_TIMESTAMP(DATE_FORMAT(ts, 'yyyy/MM/dd HH:mm'), 'yyyy/MM/dd HH:mm') AS epoch_from_pattern,
  FROM_UNIXTIME(UNIX_TIMESTAMP(DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss'))) AS round_trip,
  FROM_UNIXTIME(1709294400 + id * 3600) AS from_epoch,
  FROM_UNIXTIME(1710054000 + id * 600, 'yyyy-MM-dd HH:mm:ss') AS across_dst,
  UNIX_TIMESTAMP('2024-03-10 02:30:00') AS in_dst_gap,
  UNIX_TIMESTAMP('2024-11-03 01:30:00') AS in_dst_overlap
FROM texts
WHERE id <= 30;
