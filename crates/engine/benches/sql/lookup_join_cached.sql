CREATE TEMPORARY TABLE users (user_id BIGINT, name STRING, tier STRING, PRIMARY KEY (user_id) NOT ENFORCED)
WITH ('connector' = 'jdbc', 'url' = '${JDBC_URL}', 'table-name' = 'users',
      'username' = '${JDBC_USER}', 'password' = '${JDBC_PASSWORD}',
      'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '10000',
      'lookup.partial-cache.expire-after-write' = '10 min');
INSERT INTO enriched
SELECT o.order_id, u.name, u.tier, o.amount
FROM orders AS o
JOIN users FOR SYSTEM_TIME AS OF o.proc_time AS u ON o.user_id = u.user_id;
