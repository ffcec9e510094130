-- How many leaves the Merkle tree of partition {partition} of appeals.events holds, and the offset of the last.
SELECT count() AS size, max(offset) AS last_offset
FROM merkle_nodes FINAL
WHERE partition = {partition:UInt16} AND level = 0
