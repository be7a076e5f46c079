-- Indexes for what the saga scheduler reads every tick (modules/scheduler), so that its
-- scans stay proportional to what is stuck or expired, not to the table:
--   trades still unsettled past the saga timeout (settled_at IS NULL, oldest first);
--   order idempotency keys past their retention (pruned by created_at).
ALTER TABLE trades
  ADD KEY IF NOT EXISTS ix_trades_unsettled (settled_at, executed_at, trade_id);
ALTER TABLE order_idempotency_keys
  ADD KEY IF NOT EXISTS ix_order_idempotency_keys_created (created_at);
