-- Exactly-once consumption: a consumer stores the next Kafka offset of each partition
-- it owns in the same transaction as the effects of the messages before it, and seeks
-- to it when the partition is assigned (DESIGN.md section 4).
CREATE TABLE IF NOT EXISTS consumer_offsets (
  consumer_group VARCHAR(128) NOT NULL,
  topic VARCHAR(249) NOT NULL,
  partition_id INT NOT NULL,
  next_offset BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (consumer_group, topic, partition_id)
) ENGINE=InnoDB;
