-- MATCH_RECOGNIZE with AFTER MATCH SKIP TO NEXT ROW: overlapping matches of three rising ticks
-- in a row (strict contiguity).

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
    FIRST(A.ts) AS start_ts,
    LAST(C.ts) AS end_ts,
    A.price AS p1,
    B.price AS p2,
    C.price AS p3
  ONE ROW PER MATCH
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A B C)
  DEFINE
    B AS B.price > A.price,
    C AS C.price > B.price
);
