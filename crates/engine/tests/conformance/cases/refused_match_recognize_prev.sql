-- expect: error
-- Flink refuses PREV() in a MATCH_RECOGNIZE DEFINE (a physical offset within the partition);
-- LAST(var.col, 1) is its way to reach the previous row of a variable.

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
  MEASURES A.ts AS start_ts, C.ts AS end_ts
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+ C)
  DEFINE
    B AS B.price < PREV(B.price),
    C AS C.price > PREV(C.price)
);
