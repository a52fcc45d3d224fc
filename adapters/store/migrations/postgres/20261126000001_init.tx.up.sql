-- Runwatch schema, version 1. Times are Unix microseconds (BIGINT, 0 for
-- "never"), so the Postgres and SQLite schemas share every query.
-- JSON-valued columns (labels, argv, purls) are TEXT holding JSON, '' when empty.

CREATE TABLE clusters (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE,
    uid                     TEXT UNIQUE,
    kubernetes_version      TEXT NOT NULL DEFAULT '',
    provider                TEXT NOT NULL DEFAULT '',
    controller_version      TEXT NOT NULL DEFAULT '',
    controller_status       TEXT NOT NULL DEFAULT '',
    controller_message      TEXT NOT NULL DEFAULT '',
    controller_heartbeat_at BIGINT NOT NULL DEFAULT 0,
    controller_report_at    BIGINT NOT NULL DEFAULT 0,
    controller_pending      BIGINT NOT NULL DEFAULT 0,
    snapshot_id             TEXT NOT NULL DEFAULT '',
    snapshot_started_at     BIGINT NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL
);

CREATE TABLE registration_tokens (
    id           TEXT PRIMARY KEY,
    cluster_id   TEXT NOT NULL REFERENCES clusters (id),
    secret_hash  TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX registration_tokens_cluster ON registration_tokens (cluster_id);

-- Idempotency keys of applied batches: a batch id is applied once per cluster.
CREATE TABLE ingest_batches (
    cluster_id TEXT NOT NULL,
    batch_id   TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, batch_id)
);
CREATE INDEX ingest_batches_applied ON ingest_batches (applied_at);

CREATE TABLE nodes (
    cluster_id                TEXT NOT NULL REFERENCES clusters (id),
    name                      TEXT NOT NULL,
    uid                       TEXT NOT NULL DEFAULT '',
    kernel_version            TEXT NOT NULL DEFAULT '',
    os_image                  TEXT NOT NULL DEFAULT '',
    architecture              TEXT NOT NULL DEFAULT '',
    container_runtime_version TEXT NOT NULL DEFAULT '',
    kubelet_version           TEXT NOT NULL DEFAULT '',
    provider_id               TEXT NOT NULL DEFAULT '',
    provider                  TEXT NOT NULL DEFAULT '',
    labels                    TEXT NOT NULL DEFAULT '',
    sensor_disabled           BOOLEAN NOT NULL DEFAULT FALSE,
    ready                     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at                BIGINT NOT NULL DEFAULT 0,
    -- in_inventory: a controller reported the node; otherwise only a sensor did.
    in_inventory              BOOLEAN NOT NULL DEFAULT FALSE,
    first_seen                BIGINT NOT NULL,
    last_seen                 BIGINT NOT NULL,
    gone_at                   BIGINT NOT NULL DEFAULT 0,
    snapshot_id               TEXT NOT NULL DEFAULT '',
    sensor_status             TEXT NOT NULL DEFAULT '',
    sensor_mode               TEXT NOT NULL DEFAULT '',
    sensor_hook_mode          TEXT NOT NULL DEFAULT '',
    sensor_version            TEXT NOT NULL DEFAULT '',
    sensor_message            TEXT NOT NULL DEFAULT '',
    sensor_boot_id            TEXT NOT NULL DEFAULT '',
    sensor_started_at         BIGINT NOT NULL DEFAULT 0,
    sensor_heartbeat_at       BIGINT NOT NULL DEFAULT 0,
    drops_ring_buffer         BIGINT NOT NULL DEFAULT 0,
    drops_spool_full          BIGINT NOT NULL DEFAULT 0,
    drops_decode_errors       BIGINT NOT NULL DEFAULT 0,
    drops_dedup_overflow      BIGINT NOT NULL DEFAULT 0,
    drops_filtered_in_kernel  BIGINT NOT NULL DEFAULT 0,
    events_received           BIGINT NOT NULL DEFAULT 0,
    spooled_records           BIGINT NOT NULL DEFAULT 0,
    restricted                BOOLEAN NOT NULL DEFAULT FALSE,
    restriction_reason        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, name)
);

CREATE TABLE namespaces (
    cluster_id  TEXT NOT NULL REFERENCES clusters (id),
    name        TEXT NOT NULL,
    uid         TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL DEFAULT 0,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    gone_at     BIGINT NOT NULL DEFAULT 0,
    snapshot_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, name)
);

CREATE TABLE workloads (
    cluster_id       TEXT NOT NULL REFERENCES clusters (id),
    uid              TEXT NOT NULL,
    kind             TEXT NOT NULL,
    api_version      TEXT NOT NULL DEFAULT '',
    namespace        TEXT NOT NULL,
    name             TEXT NOT NULL,
    labels           TEXT NOT NULL DEFAULT '',
    desired_replicas INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL DEFAULT 0,
    first_seen       BIGINT NOT NULL,
    last_seen        BIGINT NOT NULL,
    gone_at          BIGINT NOT NULL DEFAULT 0,
    snapshot_id      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, uid)
);
CREATE INDEX workloads_name ON workloads (namespace, name);

CREATE TABLE pods (
    cluster_id    TEXT NOT NULL REFERENCES clusters (id),
    uid           TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    name          TEXT NOT NULL,
    node_name     TEXT NOT NULL DEFAULT '',
    workload_uid  TEXT NOT NULL,
    workload_kind TEXT NOT NULL,
    workload_name TEXT NOT NULL,
    labels        TEXT NOT NULL DEFAULT '',
    phase         TEXT NOT NULL DEFAULT '',
    owner_note    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL DEFAULT 0,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    gone_at       BIGINT NOT NULL DEFAULT 0,
    snapshot_id   TEXT NOT NULL DEFAULT '',
    -- seen_batch: the last batch that reported the pod, to find the
    -- containers that batch no longer lists.
    seen_batch    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, uid)
);
CREATE INDEX pods_workload ON pods (cluster_id, workload_uid);
CREATE INDEX pods_node ON pods (cluster_id, node_name);

-- A container row per (pod, name, runtime container id): a restart makes a
-- new row and leaves the old one gone, so runtime records of the old
-- container id keep their attribution. container_id is '' until created.
CREATE TABLE containers (
    cluster_id    TEXT NOT NULL REFERENCES clusters (id),
    pod_uid       TEXT NOT NULL,
    name          TEXT NOT NULL,
    container_id  TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    pod_name      TEXT NOT NULL,
    node_name     TEXT NOT NULL DEFAULT '',
    workload_uid  TEXT NOT NULL,
    workload_kind TEXT NOT NULL,
    workload_name TEXT NOT NULL,
    kind          TEXT NOT NULL,
    image         TEXT NOT NULL DEFAULT '',
    image_digest  TEXT NOT NULL DEFAULT '',
    image_id      TEXT NOT NULL DEFAULT '',
    runtime       TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT '',
    restart_count INTEGER NOT NULL DEFAULT 0,
    started_at    BIGINT NOT NULL DEFAULT 0,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    gone_at       BIGINT NOT NULL DEFAULT 0,
    snapshot_id   TEXT NOT NULL DEFAULT '',
    seen_batch    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, pod_uid, name, container_id)
);
CREATE INDEX containers_id ON containers (cluster_id, container_id);
CREATE INDEX containers_digest ON containers (image_digest);
CREATE INDEX containers_workload ON containers (cluster_id, workload_uid);

-- Images are global: a digest is the same image in every cluster.
CREATE TABLE images (
    digest     TEXT PRIMARY KEY,
    repository TEXT NOT NULL DEFAULT '',
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE TABLE image_references (
    digest     TEXT NOT NULL,
    reference  TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (digest, reference)
);

CREATE TABLE processes (
    id                     BIGSERIAL PRIMARY KEY,
    cluster_id             TEXT NOT NULL,
    node_name              TEXT NOT NULL,
    container_id           TEXT NOT NULL,
    executable_path        TEXT NOT NULL,
    sha256                 TEXT NOT NULL,
    pod_uid                TEXT NOT NULL DEFAULT '',
    runtime                TEXT NOT NULL DEFAULT '',
    cgroup_path            TEXT NOT NULL DEFAULT '',
    argv                   TEXT NOT NULL DEFAULT '',
    argv_truncated         BOOLEAN NOT NULL DEFAULT FALSE,
    uid                    BIGINT NOT NULL DEFAULT 0,
    pid                    BIGINT NOT NULL DEFAULT 0,
    parent_pid             BIGINT NOT NULL DEFAULT 0,
    parent_executable_path TEXT NOT NULL DEFAULT '',
    comm                   TEXT NOT NULL DEFAULT '',
    first_seen             BIGINT NOT NULL,
    last_seen              BIGINT NOT NULL,
    count                  BIGINT NOT NULL,
    drift                  BOOLEAN NOT NULL DEFAULT FALSE,
    package_purls          TEXT NOT NULL DEFAULT '',
    unresolved_reason      TEXT NOT NULL DEFAULT '',
    UNIQUE (cluster_id, node_name, container_id, executable_path, sha256)
);
CREATE INDEX processes_last_seen ON processes (last_seen);
CREATE INDEX processes_container ON processes (cluster_id, container_id);
CREATE INDEX processes_sha256 ON processes (sha256);

CREATE TABLE file_loads (
    id                BIGSERIAL PRIMARY KEY,
    cluster_id        TEXT NOT NULL,
    node_name         TEXT NOT NULL,
    container_id      TEXT NOT NULL,
    path              TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    pod_uid           TEXT NOT NULL DEFAULT '',
    runtime           TEXT NOT NULL DEFAULT '',
    cgroup_path       TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL DEFAULT '',
    package_purls     TEXT NOT NULL DEFAULT '',
    loaded_by_path    TEXT NOT NULL DEFAULT '',
    first_seen        BIGINT NOT NULL,
    last_seen         BIGINT NOT NULL,
    count             BIGINT NOT NULL,
    drift             BOOLEAN NOT NULL DEFAULT FALSE,
    unresolved_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (cluster_id, node_name, container_id, path, sha256)
);
CREATE INDEX file_loads_last_seen ON file_loads (last_seen);
CREATE INDEX file_loads_container ON file_loads (cluster_id, container_id);
CREATE INDEX file_loads_sha256 ON file_loads (sha256);
