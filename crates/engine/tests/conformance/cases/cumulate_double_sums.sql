-- SUM, AVG and VAR_POP of DOUBLE readings in CUMULATE windows (step 1 min, max 4 min): Flink
-- aggregates each step's slice in two phases and merges the slices into the window's first,
-- so the last digits follow its order of additions.

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
FROM TABLE(CUMULATE(TABLE readings, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '4' MINUTE))
GROUP BY window_start, window_end, sensor_id;
