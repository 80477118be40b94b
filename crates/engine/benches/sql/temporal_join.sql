CREATE TEMPORARY TABLE snk (lseq BIGINT, rseq BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk
SELECT l.seq, r.seq FROM l JOIN r FOR SYSTEM_TIME AS OF l.ts ON l.k = r.k;
