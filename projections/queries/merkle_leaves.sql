-- The leaf index of each of the records at {offsets} (decimal text) of partition {partition}.
SELECT offset, node_index
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16} AND level = 0 AND has({offsets:Array(String)}, toString(offset))
