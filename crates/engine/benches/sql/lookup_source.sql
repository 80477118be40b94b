CREATE TEMPORARY TABLE orders (
  order_id BIGINT, user_id BIGINT, amount DOUBLE,
  proc_time AS PROCTIME()
) WITH (
  'connector' = 'datagen', 'number-of-rows' = '200000', 'rows-per-second' = '1000000000',
  'fields.order_id.kind' = 'sequence', 'fields.order_id.start' = '1', 'fields.order_id.end' = '200000',
  'fields.user_id.min' = '1', 'fields.user_id.max' = '10000', 'fields.amount.min' = '0', 'fields.amount.max' = '100'
);
CREATE TEMPORARY TABLE enriched (order_id BIGINT, name STRING, tier STRING, amount DOUBLE)
WITH ('connector' = 'blackhole');
