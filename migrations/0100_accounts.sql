-- The account module's tables (modules/account/README.md). Identifiers are ASCII and
-- compared byte for byte (ascii_bin), whatever the database's default collation, so
-- "Alice" and "alice" are two users, as in the C++ code. Money columns hold
-- Amount::units() (scaled by 10^4), quantities whole shares, both BIGINT.
-- Every CHECK here is also asserted in code before each write and after each read.

CREATE TABLE IF NOT EXISTS accounts (
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id)
) ENGINE=InnoDB;

-- One row per account and currency. The USD row is also the account's lock: every
-- transaction that changes an account locks this row first (lock order, README.md).
CREATE TABLE IF NOT EXISTS cash_balances (
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  currency CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  total_units BIGINT NOT NULL,
  reserved_units BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, currency),
  CONSTRAINT fk_cash_balances_account FOREIGN KEY (user_id) REFERENCES accounts (user_id),
  CONSTRAINT chk_cash_balances_reserved CHECK (reserved_units >= 0 AND total_units >= reserved_units)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS positions (
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  total_quantity BIGINT NOT NULL,
  reserved_quantity BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, symbol),
  CONSTRAINT fk_positions_account FOREIGN KEY (user_id) REFERENCES accounts (user_id),
  CONSTRAINT chk_positions_reserved CHECK (reserved_quantity >= 0 AND total_quantity >= reserved_quantity)
) ENGINE=InnoDB;

-- Every balance change is one row here; the balances are the sums of these deltas.
-- asset is "cash:USD" or "shares:<SYMBOL>". Double entry: for each (kind, reference,
-- asset) the total deltas sum to zero; money entering or leaving the exchange
-- (deposits, opening balances) is booked against the pseudo-account '@external'
-- (not a valid user id). The UNIQUE natural key makes a replayed event a no-op.
CREATE TABLE IF NOT EXISTS ledger_entries (
  entry_id BIGINT NOT NULL AUTO_INCREMENT,
  kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reference VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  asset VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  total_delta BIGINT NOT NULL,
  reserved_delta BIGINT NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (entry_id),
  UNIQUE KEY uq_ledger_entries_natural (kind, reference, user_id, asset),
  KEY ix_ledger_entries_account (user_id, asset)
) ENGINE=InnoDB;

-- The cash (BUY) or shares (SELL) held for one order. A rejection is remembered too,
-- so a redelivered OrderCreated gets the first answer. remaining is what the order
-- still holds; status RESERVED -> COMPLETED (fully filled) | RELEASED (cancelled).
CREATE TABLE IF NOT EXISTS reservations (
  order_id BIGINT NOT NULL,
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  side VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_type VARCHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  asset VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  quantity BIGINT NOT NULL,
  filled_quantity BIGINT NOT NULL DEFAULT 0,
  limit_price_units BIGINT NULL,
  reserved BIGINT NOT NULL,
  remaining BIGINT NOT NULL,
  status VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reject_reason VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (order_id),
  KEY ix_reservations_user_status (user_id, status),
  CONSTRAINT chk_reservations_amounts CHECK (remaining >= 0 AND remaining <= reserved AND
                                             filled_quantity >= 0 AND filled_quantity <= quantity)
) ENGINE=InnoDB;

-- One row per deposit request: its user-scoped idempotency reference is the claim that
-- makes a replay a no-op, and what it deposited tells a replay from a reused key.
CREATE TABLE IF NOT EXISTS deposits (
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reference VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  asset VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount BIGINT NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id, reference),
  CONSTRAINT fk_deposits_account FOREIGN KEY (user_id) REFERENCES accounts (user_id),
  CONSTRAINT chk_deposits_amount CHECK (amount > 0)
) ENGINE=InnoDB;

-- One row per settled trade: the exactly-once claim of settle_trade (inserted before
-- anything else is written) and the source of the trade's `settled` flag.
CREATE TABLE IF NOT EXISTS settled_trades (
  trade_id BIGINT NOT NULL,
  buy_order_id BIGINT NOT NULL,
  sell_order_id BIGINT NOT NULL,
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  price_units BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  settled_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (trade_id)
) ENGINE=InnoDB;
