-- STDDEV_POP, STDDEV_SAMP, VAR_POP and VAR_SAMP of DOUBLE readings in a TUMBLE window (DOUBLE).

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
  STDDEV_POP(temperature) AS sd_pop, STDDEV_SAMP(temperature) AS sd_samp,
  VAR_POP(humidity) AS v_pop, VAR_SAMP(humidity) AS v_samp
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
GROUP BY window_start, window_end, sensor_id;
