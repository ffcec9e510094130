-- The migrations already applied (the runner applies the others, in order).
SELECT version FROM schema_migrations FINAL
