-- MATCH_RECOGNIZE over DOUBLE readings: a warm-up of at least three readings each above the
-- first, then a cooler reading; MEASURES with AVG and LAST.

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
    FIRST(W.ts) AS warm_from,
    LAST(W.ts) AS warm_to,
    BASE.temperature AS base_temp,
    MAX(W.temperature) AS peak_temp,
    AVG(W.temperature) AS avg_temp,
    COOL.temperature AS cool_temp
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (BASE W{3,} COOL)
  DEFINE
    W AS W.temperature > BASE.temperature,
    COOL AS COOL.temperature <= BASE.temperature
);
