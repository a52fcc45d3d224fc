DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhooks;
DROP TABLE IF EXISTS image_risks;
DROP TABLE IF EXISTS image_vulnerabilities;
DROP TABLE IF EXISTS image_components;
DROP TABLE IF EXISTS image_enrichment;
DROP TABLE IF EXISTS integrations;
