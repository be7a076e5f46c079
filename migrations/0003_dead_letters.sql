-- Exactly-once consumption, part 3: messages a consumer group gave up on
-- (platform/consumer/README.md). A row is written in the same transaction as the
-- message's processed_events row (when it has an event id) and its partition's advanced
-- offset, so nothing is ever dropped silently: every skipped message is here, with the
-- last error. payload is the raw Kafka value (it may not even be text for a malformed
-- message). Rows are kept until an operator replays or deletes them.
CREATE TABLE IF NOT EXISTS dead_letters (
  consumer_group VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partition_id INT NOT NULL,
  message_offset BIGINT NOT NULL,
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  payload MEDIUMBLOB NOT NULL,
  error TEXT NOT NULL,
  attempts INT NOT NULL,
  failed_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (consumer_group, topic, partition_id, message_offset),
  KEY ix_dead_letters_failed_at (failed_at)
) ENGINE=InnoDB;
