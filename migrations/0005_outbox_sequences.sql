-- Dense outbox ids in commit order, and one "published up to" id per outbox
-- (modules/outbox/README.md, "Ids and progress").
--
-- outbox_sequences: the last id handed out per outbox. A writer bumps it in its
-- transaction's last round trip (INSERT ... ON DUPLICATE KEY UPDATE last_id =
-- LAST_INSERT_ID(last_id + n)) and numbers its n rows up to the new value. The row lock
-- orders the writers of one outbox by commit, and the bump commits or rolls back with the
-- rows, so ids are dense and a committed id is never followed by a missing one for long.
CREATE TABLE IF NOT EXISTS outbox_sequences (
  outbox VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  last_id BIGINT NOT NULL
) ENGINE=InnoDB;

-- published_up_to: every row of the outbox with id <= it was acknowledged by the broker.
-- The relay advances it with the write that is also its durability barrier; it never
-- moves back (GREATEST), so a deposed relay's late write cannot undo a newer one.
ALTER TABLE outbox_relay_barriers ADD COLUMN IF NOT EXISTS published_up_to BIGINT NOT NULL DEFAULT 0;
