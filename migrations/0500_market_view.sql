-- The market view (modules/market_data): one row per symbol, the top of its book and its
-- last trade, upserted by the matching service in the transaction of the batch that
-- changed it, read by GET /v1/market/{symbol}[/book] on any instance. Prices are
-- canonical decimal strings (as on the wire); levels_json is
-- {"bids":[{"price","quantity","orders"}...],"asks":[...]}, best first.
CREATE TABLE IF NOT EXISTS market_view (
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  best_bid_price VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  best_bid_quantity BIGINT NULL,
  best_ask_price VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  best_ask_quantity BIGINT NULL,
  levels_json MEDIUMTEXT NOT NULL,
  last_trade_price VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  last_trade_quantity BIGINT NULL,
  source_partition INT NOT NULL,
  source_next_offset BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
