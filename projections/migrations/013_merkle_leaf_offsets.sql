-- A leaf's offset grows with its index, so each granule of a partition's leaves covers a narrow range of
-- offsets: finding the leaves of an appeal's events by their offsets (query merkle_leaves) reads only theirs.
ALTER TABLE merkle_nodes ADD INDEX IF NOT EXISTS leaf_offset offset TYPE minmax GRANULARITY 1;
ALTER TABLE merkle_nodes MATERIALIZE INDEX leaf_offset
