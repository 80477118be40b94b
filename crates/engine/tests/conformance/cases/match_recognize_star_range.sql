-- MATCH_RECOGNIZE with the quantifiers * and {n,m}: a large tick, any number of ticks below
-- it, two or three quiet ticks, and a tick above the first (greedy quantifiers keep their rows).

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
    COUNT(B.price) AS below,
    COUNT(Q.volume) AS quiet,
    SUM(Q.volume) AS quiet_volume,
    LAST(Q.ts) AS last_quiet,
    C.price AS end_price,
    C.ts AS end_ts
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B* Q{2,3} C)
  DEFINE
    A AS A.volume >= 300,
    B AS B.price < A.price AND B.volume >= 100,
    Q AS Q.volume < 300,
    C AS C.price > A.price
);
