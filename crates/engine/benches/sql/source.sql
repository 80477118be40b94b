CREATE TEMPORARY TABLE src (
  seq BIGINT, k BIGINT, v DOUBLE,
  ts AS TO_TIMESTAMP_LTZ(seq, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '5000000', 'rows-per-second' = '1000000000',
  'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1', 'fields.seq.end' = '5000000',
  'fields.k.min' = '1', 'fields.k.max' = '1000', 'fields.v.min' = '0', 'fields.v.max' = '1'
);
