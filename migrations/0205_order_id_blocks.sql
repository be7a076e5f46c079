-- Order ids (modules/order/src/order_id_blocks.h): each order committer reserves blocks
-- of ids here, one autocommitted UPDATE per block, and numbers its orders itself, so that
-- the orders can be inserted with the rest of a group's writes. One row; next_order_id is
-- the first id no block has handed out. The service always names an order's id;
-- orders.order_id's AUTO_INCREMENT is no longer used (a row inserted without an id could
-- take one a block hands out later).
CREATE TABLE IF NOT EXISTS order_id_blocks (
  id TINYINT NOT NULL PRIMARY KEY,
  next_order_id BIGINT NOT NULL,
  CONSTRAINT chk_order_id_blocks CHECK (id = 1 AND next_order_id >= 1)
) ENGINE=InnoDB;

INSERT IGNORE INTO order_id_blocks (id, next_order_id)
  SELECT 1, COALESCE(MAX(order_id), 0) + 1 FROM orders;
