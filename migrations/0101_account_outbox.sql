-- The account module's transactional outbox (standard outbox shape, see
-- modules/outbox/README.md). Rows are inserted in the same transaction as the state
-- change they announce; the relay publishes unpublished rows to Kafka in id order and
-- sets published_at only after the broker acknowledged them.
CREATE TABLE IF NOT EXISTS account_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  message_key VARCHAR(255) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  published_at TIMESTAMP(6) NULL DEFAULT NULL,
  UNIQUE KEY uq_account_outbox_event (event_id),
  KEY ix_account_outbox_unpublished (published_at, id)
) ENGINE=InnoDB;
