-- The order status follower (modules/order/README.md): why an order was cancelled, and
-- the order module's client-visible trade record.
--
-- cancel_reason: set with status CANCELLED from ReservationReleased (cause cancelled):
-- user, ioc_remainder, fok_not_fillable, market_remainder, cash_cap, self_trade, ...
ALTER TABLE orders
  ADD COLUMN cancel_reason VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER reject_reason;

-- One row per trade, written by TradeExecuted or TradeSettled, whichever arrives first
-- (they come on different topics); settled_at is set by TradeSettled, once. trade_id is
-- the global trade id of the matching module (unique across symbols and partitions).
-- price_units holds Amount::units() (10^-4), quantity whole shares. Timestamps are the
-- events' RFC 3339 UTC instants. GET /v1/trades reads newest first, (executed_at,
-- trade_id) descending, filtered by symbol, buyer or seller, or either order: one index
-- per filter, each ending in the sort key.
CREATE TABLE IF NOT EXISTS trades (
  trade_id BIGINT NOT NULL,
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  price_units BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  buy_order_id BIGINT NOT NULL,
  sell_order_id BIGINT NOT NULL,
  buyer VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seller VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  executed_at TIMESTAMP(6) NOT NULL,
  settled_at TIMESTAMP(6) NULL DEFAULT NULL,
  PRIMARY KEY (trade_id),
  KEY ix_trades_time (executed_at, trade_id),
  KEY ix_trades_symbol (symbol, executed_at, trade_id),
  KEY ix_trades_buyer (buyer, executed_at, trade_id),
  KEY ix_trades_seller (seller, executed_at, trade_id),
  KEY ix_trades_buy_order (buy_order_id, executed_at, trade_id),
  KEY ix_trades_sell_order (sell_order_id, executed_at, trade_id),
  CONSTRAINT chk_trades_values CHECK (trade_id > 0 AND price_units > 0 AND quantity > 0 AND
                                      buy_order_id > 0 AND sell_order_id > 0 AND
                                      buy_order_id <> sell_order_id)
) ENGINE=InnoDB;
