-- account_outbox moves to dense ids in commit order and one "published up to" id
-- (migrations/0005_outbox_sequences.sql, modules/outbox/README.md "Ids and progress").
-- Run with every instance stopped (the migration lock keeps two migrators apart, not a
-- running writer of the old shape). Rows still unpublished get new dense ids after the
-- highest id, in their old order; every id up to that highest one counts as published;
-- the per-row published_at and its index go. (No ':' anywhere: the migrator's client
-- library would read one as a placeholder.)
SET @published_up_to = (SELECT COALESCE(MAX(id), 0) FROM account_outbox);
CREATE TEMPORARY TABLE account_outbox_renumbered ENGINE=InnoDB AS
  SELECT id, @published_up_to + ROW_NUMBER() OVER (ORDER BY id) AS new_id
  FROM account_outbox WHERE published_at IS NULL;
UPDATE account_outbox JOIN account_outbox_renumbered AS r ON account_outbox.id = r.id SET account_outbox.id = r.new_id;
SET @last_id = (SELECT COALESCE(MAX(new_id), @published_up_to) FROM account_outbox_renumbered);
DROP TEMPORARY TABLE account_outbox_renumbered;
INSERT INTO outbox_relay_barriers (outbox, barriers, published_up_to)
  VALUES ('account_outbox', 0, @published_up_to)
  ON DUPLICATE KEY UPDATE published_up_to = @published_up_to;
INSERT INTO outbox_sequences (outbox, last_id) VALUES ('account_outbox', @last_id)
  ON DUPLICATE KEY UPDATE last_id = @last_id;
ALTER TABLE account_outbox MODIFY id BIGINT NOT NULL, DROP INDEX ix_account_outbox_unpublished, DROP COLUMN published_at;
