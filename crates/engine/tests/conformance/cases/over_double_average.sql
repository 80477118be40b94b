-- OVER aggregation on DOUBLE readings: a moving average and count of the last 10 readings per
-- sensor (DOUBLE text as Flink casts it to STRING).

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

SELECT sensor_id, ts, temperature,
  AVG(temperature) OVER w AS avg_temp, MIN(humidity) OVER w AS min_humidity, COUNT(humidity) OVER w AS n
FROM readings
WINDOW w AS (PARTITION BY sensor_id ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW);
