-- Dead letters get a stable id for the admin API (GET /v1/admin/dead-letters,
-- POST /v1/admin/dead-letters/{id}/retry) and an answer: answered_at is set, once, when
-- a dead letter was retried successfully ('retried') or compensated by the saga
-- scheduler ('compensated'). Answered dead letters are pruned after their retention.
ALTER TABLE dead_letters
  ADD COLUMN IF NOT EXISTS dead_letter_id BIGINT NOT NULL AUTO_INCREMENT,
  ADD UNIQUE KEY IF NOT EXISTS uq_dead_letters_id (dead_letter_id),
  ADD COLUMN IF NOT EXISTS answered_at TIMESTAMP(6) NULL DEFAULT NULL,
  ADD COLUMN IF NOT EXISTS answer VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD KEY IF NOT EXISTS ix_dead_letters_answered (answered_at);
