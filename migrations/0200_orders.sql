-- The order module's orders (modules/order/README.md). Identifiers are ASCII compared
-- byte for byte (ascii_bin). Prices and cash hold Amount::units() (scaled by 10^4),
-- quantities whole shares, both BIGINT. Every CHECK is also asserted in code after reads.
-- status: PENDING -> REJECTED | OPEN -> PARTIALLY_FILLED -> FILLED | CANCELLED.
CREATE TABLE IF NOT EXISTS orders (
  order_id BIGINT NOT NULL AUTO_INCREMENT,
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  side VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_type VARCHAR(6) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  time_in_force VARCHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  quantity BIGINT NOT NULL,
  price_units BIGINT NULL,
  status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  filled_quantity BIGINT NOT NULL DEFAULT 0,
  filled_notional_units BIGINT NOT NULL DEFAULT 0,
  reserved_cash_units BIGINT NULL,
  reserved_quantity BIGINT NULL,
  cash_cap_units BIGINT NULL,
  reject_reason VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  cancel_requested_at TIMESTAMP(6) NULL DEFAULT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (order_id),
  KEY ix_orders_user (user_id, order_id),
  KEY ix_orders_symbol (symbol, order_id),
  KEY ix_orders_status (status, order_id),
  CONSTRAINT chk_orders_terms CHECK (side IN ('BUY', 'SELL') AND order_type IN ('LIMIT', 'MARKET') AND
                                     time_in_force IN ('GTC', 'IOC', 'FOK') AND
                                     (price_units IS NULL) = (order_type = 'MARKET')),
  CONSTRAINT chk_orders_status CHECK (status IN ('PENDING', 'REJECTED', 'OPEN', 'PARTIALLY_FILLED',
                                                 'FILLED', 'CANCELLED')),
  CONSTRAINT chk_orders_amounts CHECK (quantity > 0 AND filled_quantity >= 0 AND
                                       filled_quantity <= quantity AND filled_notional_units >= 0)
) ENGINE=InnoDB;
