-- MATCH_RECOGNIZE over a view that filters and projects its table, under an outer query
-- that filters and computes over the measures.

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

CREATE VIEW busy_ticks AS
SELECT symbol, price, volume, ts FROM ticks WHERE volume >= 50;

SELECT symbol, start_ts, end_ts, drops, bottom, bottom * 2 AS twice_bottom
FROM busy_ticks
MATCH_RECOGNIZE (
  PARTITION BY symbol
  ORDER BY ts
  MEASURES
    A.ts AS start_ts,
    LAST(B.price) AS bottom,
    COUNT(B.price) AS drops,
    C.ts AS end_ts
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+ C)
  DEFINE
    B AS B.price < LAST(B.price, 1) OR (LAST(B.price, 1) IS NULL AND B.price < A.price),
    C AS C.price > LAST(B.price, 1)
) AS m
WHERE drops >= 2;
