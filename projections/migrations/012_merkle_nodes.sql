-- refold: the Merkle tree of the events already written is built when the projections are folded again.
-- The Merkle tree of each partition of appeals.events (RFC 9162 §2.1; streams/domain/merkle.py): every
-- perfect subtree once, as the leaves arrive. Leaf i (level 0) is the partition's i-th committed record:
-- SHA-256(0x00 ‖ the event's 32-byte hash), or for a record that is no event SHA-256(0x00 ‖ SHA-256(its
-- bytes)); `offset` is its Kafka offset (level 0 only). A replay writes the same rows again.
CREATE TABLE IF NOT EXISTS merkle_nodes
(
    partition  UInt16,
    level      UInt8,
    node_index UInt64,
    hash       FixedString(32),
    offset     UInt64 COMMENT 'the leaf record''s offset; 0 above level 0'
)
ENGINE = ReplacingMergeTree
ORDER BY (partition, level, node_index)
