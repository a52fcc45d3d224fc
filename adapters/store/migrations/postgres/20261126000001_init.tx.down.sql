-- Dropping the schema loses all data; down migrations exist for development only.
DROP TABLE IF EXISTS file_loads, processes, image_references, images, containers, pods, workloads, namespaces, nodes, ingest_batches, registration_tokens, clusters;
