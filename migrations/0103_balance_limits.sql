-- Settlement adds its deltas to balance rows with relative updates (total = total + d) at
-- the end of its transaction, without reading them first (modules/account/README.md,
-- "Lock order"), so the limits it used to check in memory are table invariants now, next
-- to the existing total >= reserved >= 0: a cash total within kMaxAmountUnits and a
-- position within kMaxQuantity (include/bourse/common/limits.h). A write past them fails
-- with error 4025 and the batch is refused as a bad settlement.
ALTER TABLE cash_balances
  ADD CONSTRAINT IF NOT EXISTS chk_cash_balances_limit CHECK (total_units <= 1000000000000000);
ALTER TABLE positions
  ADD CONSTRAINT IF NOT EXISTS chk_positions_limit CHECK (total_quantity <= 1000000000000);
