-- Snapshots of a matching shard (ShardState::encode()): the books, id memory and trade
-- sequence after every input below next_offset. Written in the transaction of a batch
-- (so never ahead of matching_offsets); the newest few per partition are kept.
CREATE TABLE IF NOT EXISTS matching_snapshots (
  topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partition_id INT NOT NULL,
  next_offset BIGINT NOT NULL,
  format INT NOT NULL,
  bytes LONGBLOB NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (topic, partition_id, next_offset)
) ENGINE=InnoDB;
