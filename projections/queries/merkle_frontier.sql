-- The perfect subtrees along the right edge of the tree of {size} leaves of partition {partition}: one per
-- set bit L of {size}, the node of level L whose index is ({size} >> L) - 1 (streams/domain/merkle.py).
SELECT level, node_index, lower(hex(hash)) AS hash
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16} AND level < 64 AND bitTest({size:UInt64}, level)
  AND node_index = bitShiftRight({size:UInt64}, level) - 1
ORDER BY level DESC
