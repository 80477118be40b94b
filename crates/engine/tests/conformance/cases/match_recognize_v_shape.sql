-- MATCH_RECOGNIZE: a V-shaped price move per symbol, PATTERN (A B+ C) with DEFINE over the
-- previous row of a variable (LAST(B.price, 1); Flink refuses PREV here), MEASURES with
-- FIRST/LAST/COUNT, AFTER MATCH SKIP PAST LAST ROW. Rows with ts <= watermark are
-- dropped; the rest are matched in ts order per key.

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
    A.price AS start_price,
    FIRST(B.price) AS first_drop,
    LAST(B.price) AS bottom_price,
    COUNT(B.price) AS drops,
    C.price AS end_price,
    C.ts AS end_ts
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+ C)
  DEFINE
    B AS (LAST(B.price, 1) IS NULL AND B.price < A.price) OR B.price < LAST(B.price, 1),
    C AS C.price > LAST(B.price, 1)
);
