-- Enrichment: registries and scanners the platform asks, what they said
-- about each image digest, what images contain, their judged
-- vulnerabilities and risks, and webhook deliveries.

CREATE TABLE integrations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    url        TEXT NOT NULL,
    username   TEXT NOT NULL DEFAULT '',
    -- A password or access token. Given to adapters only; the API never
    -- returns it.
    secret     TEXT NOT NULL DEFAULT '',
    trusted    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per image digest the worker has looked at. evidence is JSON:
-- the registry checks, tag resolutions and digest check the verdicts rest on.
CREATE TABLE image_enrichment (
    digest          TEXT PRIMARY KEY,
    status          TEXT NOT NULL,
    trust           TEXT NOT NULL DEFAULT 'unknown',
    trust_reason    TEXT NOT NULL DEFAULT '',
    trust_registry  TEXT NOT NULL DEFAULT '',
    trust_repo      TEXT NOT NULL DEFAULT '',
    trust_path      TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '',
    catalogued_at   BIGINT NOT NULL DEFAULT 0,
    distro          TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    checked_at      BIGINT NOT NULL DEFAULT 0,
    expires_at      BIGINT NOT NULL DEFAULT 0,
    vuln_revision   TEXT NOT NULL DEFAULT '',
    evaluated_at    BIGINT NOT NULL DEFAULT 0,
    funnel          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX image_enrichment_next ON image_enrichment (next_attempt_at);
CREATE INDEX image_enrichment_expires ON image_enrichment (expires_at);

-- files: JSON [{"path":..,"sha256":..}] of the component's files in the image.
CREATE TABLE image_components (
    digest TEXT NOT NULL,
    purl   TEXT NOT NULL,
    files  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (digest, purl)
);

CREATE TABLE image_vulnerabilities (
    digest              TEXT NOT NULL,
    vuln_id             TEXT NOT NULL,
    component           TEXT NOT NULL,
    aliases             TEXT NOT NULL DEFAULT '',
    summary             TEXT NOT NULL DEFAULT '',
    severity            INTEGER NOT NULL DEFAULT 0,
    score               DOUBLE PRECISION NOT NULL DEFAULT 0,
    fixed_versions      TEXT NOT NULL DEFAULT '',
    malicious           BOOLEAN NOT NULL DEFAULT FALSE,
    source              TEXT NOT NULL DEFAULT '',
    applicability       TEXT NOT NULL,
    evidence_by         TEXT NOT NULL DEFAULT '',
    evidence_path       TEXT NOT NULL DEFAULT '',
    evidence_sha256     TEXT NOT NULL DEFAULT '',
    evidence_first_seen BIGINT NOT NULL DEFAULT 0,
    evidence_last_seen  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (digest, vuln_id, component)
);
CREATE INDEX image_vulnerabilities_id ON image_vulnerabilities (vuln_id);

CREATE TABLE image_risks (
    digest      TEXT NOT NULL,
    risk_key    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (digest, risk_key)
);

CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    url        TEXT NOT NULL,
    format     TEXT NOT NULL,
    secret     TEXT NOT NULL DEFAULT '',
    kinds      TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- One delivery per (webhook, risk): the primary key is the deduplication.
CREATE TABLE webhook_deliveries (
    webhook_id      TEXT NOT NULL,
    risk_key        TEXT NOT NULL,
    digest          TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (webhook_id, risk_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);
