-- A settled trade books its four balance changes in its own settled_trades row (the trade
-- journal) instead of four ledger_entries rows: one row per trade where there were five.
-- The legs, derived from the row (account/ledger.h, trade_legs_sql()):
--   buyer  cash:USD        total -paid_units   reserved -buyer_reserved_units
--   buyer  shares:<symbol>  total +quantity     reserved 0
--   seller shares:<symbol>  total -quantity     reserved -quantity
--   seller cash:USD        total +paid_units   reserved 0
-- paid_units is price x quantity; buyer_reserved_units is what the fill took off the buy
-- reservation (its share at the order's limit, plus, at the order's last fill, whatever
-- the reservation still held), so at least paid_units. The ledger of record is
-- ledger_entries plus these legs. Rows settled before this migration keep NULL here and
-- their ledger_entries rows of kind 'trade'; a trade is booked one way or the other,
-- never both (reconciliation checks it).
ALTER TABLE settled_trades
  ADD COLUMN IF NOT EXISTS buyer VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN IF NOT EXISTS seller VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN IF NOT EXISTS paid_units BIGINT NULL,
  ADD COLUMN IF NOT EXISTS buyer_reserved_units BIGINT NULL,
  ADD CONSTRAINT chk_settled_trades_legs CHECK (
    (buyer IS NULL AND seller IS NULL AND paid_units IS NULL AND buyer_reserved_units IS NULL) OR
    (buyer IS NOT NULL AND seller IS NOT NULL AND paid_units > 0 AND
     buyer_reserved_units >= paid_units));
