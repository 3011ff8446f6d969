-- Engine v2: a replayed `reserve` answers with its reservation as first stored, expiry included,
-- without reading the reservation again (a read after commit could fail and hide the commit).
ALTER TABLE inventory_idempotency ADD COLUMN reservation_expires_at TIMESTAMPTZ;
