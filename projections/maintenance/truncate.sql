-- Empties the projections before a rebuild from offset 0 (schema_migrations stays).
TRUNCATE TABLE IF EXISTS appeal_events;
TRUNCATE TABLE IF EXISTS appeals;
TRUNCATE TABLE IF EXISTS projection_errors;
TRUNCATE TABLE IF EXISTS appeal_versions;
TRUNCATE TABLE IF EXISTS merkle_nodes;
