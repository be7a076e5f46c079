-- Reference prices (modules/market_data): one row per symbol, the current centre of its
-- price band and the base of a market BUY's cash cap. Seeded from the configured
-- reference prices (INSERT IGNORE, so a restart never rewinds a moved price), then
-- stepped by the price generator, which only the holder of the "price_generator" lease
-- runs; every instance reads the table into its ReferencePrices view. price is a
-- canonical decimal string (as on the wire); seq counts the writes of the row (0 =
-- seeded) and is the compare-and-set guard of every update, so two generators that
-- briefly overlap never both advance one step.
CREATE TABLE IF NOT EXISTS reference_prices (
  symbol VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  price VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seq BIGINT NOT NULL DEFAULT 0,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
