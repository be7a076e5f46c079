-- One row per Idempotency-Key of POST /v1/orders, scoped per user. Written in the same
-- transaction as the order it created; holds the exact answer so that a replay (same key,
-- same request_hash) returns it byte for byte, and a reuse with another request is told
-- apart by request_hash (modules/order/include/bourse/order/request_hash.h).
CREATE TABLE IF NOT EXISTS order_idempotency_keys (
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash CHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_id BIGINT NOT NULL,
  response_status INT NOT NULL,
  response_body VARCHAR(1024) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, idem_key),
  KEY ix_order_idempotency_keys_order (order_id)
) ENGINE=InnoDB;
