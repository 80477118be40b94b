-- MATCH_RECOGNIZE with unqualified columns: in DEFINE they read the current row, in
-- MEASURES the match's last row; LAST(price, 1) is the match's previous row.

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

SELECT *
FROM readings
MATCH_RECOGNIZE (
  PARTITION BY sensor_id
  ORDER BY ts
  MEASURES
    FIRST(UP.ts) AS first_ts,
    ts AS last_ts,
    temperature AS last_temperature,
    COUNT(UP.temperature) AS rises,
    AVG(humidity) AS avg_humidity
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (START_ROW UP{2,} DOWN)
  DEFINE
    UP AS temperature > LAST(temperature, 1),
    DOWN AS temperature < LAST(temperature, 1)
);
