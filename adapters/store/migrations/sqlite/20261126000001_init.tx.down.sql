-- Dropping the schema loses all data; down migrations exist for development only.
DROP TABLE IF EXISTS file_loads;
DROP TABLE IF EXISTS processes;
DROP TABLE IF EXISTS image_references;
DROP TABLE IF EXISTS images;
DROP TABLE IF EXISTS containers;
DROP TABLE IF EXISTS pods;
DROP TABLE IF EXISTS workloads;
DROP TABLE IF EXISTS namespaces;
DROP TABLE IF EXISTS nodes;
DROP TABLE IF EXISTS ingest_batches;
DROP TABLE IF EXISTS registration_tokens;
DROP TABLE IF EXISTS clusters;
