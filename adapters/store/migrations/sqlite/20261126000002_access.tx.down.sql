-- Development only: dropping loses all accounts and the audit log.
DROP TABLE IF EXISTS settings;
DROP TABLE IF EXISTS audit_events;
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS users;
