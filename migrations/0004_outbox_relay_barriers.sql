-- The outbox relays' durability barrier (modules/outbox/include/bourse/outbox/relay.h,
-- "Durability"). Without a binary log, InnoDB makes a committed transaction visible to
-- other sessions before its redo log is flushed; a crash in between loses a transaction
-- that a relay may already have read and published (a phantom event, whose AUTO_INCREMENT
-- ids are then reused by other rows). Before producing a fetched batch, the relay commits
-- one write here: its commit flushes the redo log past every transaction its fetch saw.
CREATE TABLE IF NOT EXISTS outbox_relay_barriers (
  outbox VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  barriers BIGINT NOT NULL
) ENGINE=InnoDB;
