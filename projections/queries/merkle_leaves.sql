-- The leaf index of each of the records at {offsets} (decimal text) of partition {partition}: the granules whose
-- offsets cannot hold them are skipped (index leaf_offset, migration 013); text that is no offset finds nothing.
SELECT offset, node_index
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16} AND level = 0
  AND offset IN (SELECT toUInt64OrZero(arrayJoin({offsets:Array(String)})))
  AND has({offsets:Array(String)}, toString(offset))
