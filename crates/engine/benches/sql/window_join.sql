CREATE TEMPORARY TABLE snk (lseq BIGINT, rseq BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk
SELECT a.seq, b.seq
FROM (SELECT * FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(ts), INTERVAL '10' SECOND))) AS a
JOIN (SELECT * FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '10' SECOND))) AS b
  ON a.k = b.k AND a.window_start = b.window_start AND a.window_end = b.window_end;
