-- The nodes {keys} ("LEVEL:INDEX") of the Merkle tree of partition {partition}, hashes in lowercase hex: looked up
-- by the table's key, so a proof reads its few nodes, not the partition's; text that is no key finds nothing.
SELECT level, node_index, lower(hex(hash)) AS hash
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16}
  AND (level, node_index) IN (
      SELECT toUInt8OrZero(splitByChar(':', key)[1]), toUInt64OrZero(splitByChar(':', key)[2])
      FROM (SELECT arrayJoin({keys:Array(String)}) AS key))
  AND has({keys:Array(String)}, concat(toString(level), ':', toString(node_index)))
