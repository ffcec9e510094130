-- The perfect subtrees along the right edge of the tree of {size} leaves of partition {partition}: one per
-- set bit L of {size}, the node of level L whose index is ({size} >> L) - 1 (streams/domain/merkle.py), looked
-- up by the table's key.
SELECT level, node_index, lower(hex(hash)) AS hash
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16}
  AND (level, node_index) IN (
      SELECT toUInt8(bit), toUInt64(bitShiftRight({size:UInt64}, bit) - 1)
      FROM (SELECT arrayJoin(range(64)) AS bit)
      WHERE bitTest({size:UInt64}, bit))
ORDER BY level DESC
