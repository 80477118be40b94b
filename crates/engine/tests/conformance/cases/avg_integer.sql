-- AVG of an INT column is an INT (the mean truncated toward zero), SUM of INT is INT; AVG of
-- a DOUBLE cast is exact.

CREATE TABLE ticks (
  symbol STRING,
  price DECIMAL(10, 2),
  volume INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ticks.csv',
  'format' = 'csv',
  'csv.null-literal' = ''
);

SELECT window_start, window_end, symbol,
  AVG(volume) AS avg_volume, SUM(volume) AS total_volume, AVG(CAST(volume AS DOUBLE)) AS avg_volume_double
FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, symbol;
