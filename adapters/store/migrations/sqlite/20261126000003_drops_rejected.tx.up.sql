-- Records a sensor had rejected by the platform, reported in its heartbeats.
ALTER TABLE nodes ADD COLUMN drops_rejected BIGINT NOT NULL DEFAULT 0;
