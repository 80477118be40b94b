-- SUM and AVG of DOUBLE readings in a TUMBLE window with no key but the window (one global
-- aggregate per window), through Flink's local and global phases.

CREATE TABLE readings (
  sensor_id STRING,
  temperature DOUBLE,
  humidity DOUBLE,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/readings.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT window_start, window_end, COUNT(*) AS n, SUM(temperature) AS total, AVG(humidity) AS average
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
GROUP BY window_start, window_end;
