ALTER TABLE nodes DROP COLUMN drops_rejected;
