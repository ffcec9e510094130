-- One node of the Merkle tree of partition {partition}: the hash of the 2^{level} leaves from {index} · 2^{level} on.
SELECT lower(hex(hash)) AS hash FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16} AND level = {level:UInt8} AND node_index = {index:UInt64}
