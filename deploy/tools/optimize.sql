-- Merge every projection table down to its final parts, as background merges eventually do, so
-- that the bytes measured are the long-run ones (deploy/tools/measure_sizes.py).
OPTIMIZE TABLE appeal_events FINAL;
OPTIMIZE TABLE appeals FINAL;
OPTIMIZE TABLE appeal_versions FINAL;
