-- Reconciliation (modules/scheduler/README.md, "Cost"): balances_match_ledger sums the
-- ledger per (user_id, asset). The ledger's existing per-account index is extended with the
-- two deltas, so that sum is read from the index alone, in its order (no table lookups, no
-- temporary table). It is the same index, one entry per ledger row as before: no index
-- write is added on the hot path, each entry is 16 bytes longer, and every lookup by
-- (user_id) or (user_id, asset) still uses it as a prefix.
ALTER TABLE ledger_entries
  DROP KEY IF EXISTS ix_ledger_entries_account,
  ADD KEY ix_ledger_entries_account (user_id, asset, total_delta, reserved_delta);
