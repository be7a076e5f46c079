-- The matching module's transactional outbox (standard outbox shape, see
-- modules/outbox/README.md), drained to the matching-events topic by the relay. Event ids
-- are deterministic ("m-<partition>-<input offset>-<index>", up to 37 characters), hence
-- VARCHAR(64) instead of order_outbox's CHAR(36).
CREATE TABLE IF NOT EXISTS matching_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  message_key VARCHAR(255) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  published_at TIMESTAMP(6) NULL DEFAULT NULL,
  UNIQUE KEY uq_matching_outbox_event (event_id),
  KEY ix_matching_outbox_unpublished (published_at, id)
) ENGINE=InnoDB;
