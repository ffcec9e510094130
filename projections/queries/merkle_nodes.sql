-- The nodes {keys} ("LEVEL:INDEX") of the Merkle tree of partition {partition}, hashes in lowercase hex.
SELECT level, node_index, lower(hex(hash)) AS hash
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16} AND has({keys:Array(String)}, concat(toString(level), ':', toString(node_index)))
