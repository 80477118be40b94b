-- SUM, AVG and VAR_POP of DOUBLE readings in HOP windows (slide 1 min, size 3 min): Flink
-- aggregates each slice (the slide) in two phases and merges a window's slices, so the last
-- digits follow its order of additions.

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

SELECT window_start, window_end, sensor_id, COUNT(*) AS n,
  SUM(temperature) AS total, AVG(humidity) AS average, VAR_POP(temperature) AS v_pop
FROM TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE))
GROUP BY window_start, window_end, sensor_id;
