-- The saga scheduler's record of what it did about a stuck saga (modules/scheduler).
-- subject names what is stuck ("order:42", "trade:7", "dead_letter:5"), class why
-- (matching_behind, matching_stalled, order_outbox_unpublished, matching_dead_letter, ...),
-- action what was done (alert | compensate). UNIQUE (subject, class): each action is taken
-- once, and a compensation inserts its row in the same transaction as its effects, so a
-- second scheduler (or a second tick) finds the row and does nothing.
CREATE TABLE IF NOT EXISTS saga_actions (
  id BIGINT NOT NULL AUTO_INCREMENT,
  subject VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  class VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  action VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  detail TEXT NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_saga_actions_subject_class (subject, class),
  KEY ix_saga_actions_created_at (created_at)
) ENGINE=InnoDB;
