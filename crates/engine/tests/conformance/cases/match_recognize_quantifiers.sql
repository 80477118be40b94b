-- MATCH_RECOGNIZE with the quantifiers ? and {2,}: a large tick, an optional small one, at least
-- two falling ticks and a recovering tick, PATTERN (A S? B{2,} C).

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
    A.volume AS start_volume,
    S.volume AS small_volume,
    COUNT(B.price) AS drops,
    LAST(B.price) AS low_price,
    C.price AS recovery_price,
    C.ts AS end_ts
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A S? B{2,} C)
  DEFINE
    A AS A.volume >= 400,
    S AS S.volume < 100,
    B AS (LAST(B.price, 1) IS NULL AND B.price < A.price) OR B.price < LAST(B.price, 1),
    C AS C.price > LAST(B.price, 1)
);
