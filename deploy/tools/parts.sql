-- The projections' size on disk, per table, over the active parts (deploy/tools/measure_sizes.py).
SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes_on_disk,
       sum(data_uncompressed_bytes) AS uncompressed_bytes
FROM system.parts
WHERE active AND database = currentDatabase()
GROUP BY table
ORDER BY table
