-- The matching service's committed position per input partition (modules/matching,
-- "Matching service"). next_offset is the first input offset whose outputs are NOT in
-- matching_outbox yet; it moves in the same transaction as those outputs. Every batch
-- reads it FOR UPDATE and must find exactly the offset it started from (fencing: a
-- member that lost its partition without noticing writes nothing).
CREATE TABLE IF NOT EXISTS matching_offsets (
  topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  partition_id INT NOT NULL,
  next_offset BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (topic, partition_id)
) ENGINE=InnoDB;
