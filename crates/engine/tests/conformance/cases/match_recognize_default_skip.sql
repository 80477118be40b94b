-- MATCH_RECOGNIZE without AFTER MATCH: Flink's default skip strategy, over three rising
-- ticks in a row.

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

SELECT *
FROM ticks
MATCH_RECOGNIZE (
  PARTITION BY symbol
  ORDER BY ts
  MEASURES
    A.ts AS start_ts,
    C.ts AS end_ts,
    C.price - A.price AS gain
  ONE ROW PER MATCH
  PATTERN (A B C)
  DEFINE
    B AS B.price > A.price,
    C AS C.price > B.price
);
