-- An Idempotency-Key also remembers a 422 answer (e.g. insufficient funds at entry), so a
-- retry with the same key replays it: such a key has no order (order_id NULL) and its
-- response_body holds {"reason","detail"} of the problem. Room for the problem's detail.
ALTER TABLE order_idempotency_keys
  MODIFY order_id BIGINT NULL,
  MODIFY response_body VARCHAR(2048) NOT NULL;
