-- Reservations are decided when an order is entered, inside the order's own transaction:
-- an order that cannot be reserved is answered 422 and never gets an order id, so no
-- reservation row is ever a rejection any more. Status is RESERVED, COMPLETED or RELEASED.
ALTER TABLE reservations DROP COLUMN IF EXISTS reject_reason;
