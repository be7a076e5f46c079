-- Exactly-once consumption, part 2: the event ids each consumer group has applied
-- (platform/consumer/README.md). A consumer inserts the row (INSERT IGNORE) in the same
-- transaction as the event's effects and its partition's next offset; a row already
-- there means a duplicate (the relay may publish an outbox row twice), which is skipped.
-- Dead-lettered events get their row too, so a republished poison event is not retried.
-- event_id is the envelope's id (a UUID), compared byte for byte.
CREATE TABLE IF NOT EXISTS processed_events (
  consumer_group VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  processed_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (consumer_group, event_id),
  KEY ix_processed_events_processed_at (processed_at)
) ENGINE=InnoDB;
