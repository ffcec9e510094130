-- How many leaves the Merkle tree of partition {partition} of appeals.events holds, and the offset of the last:
-- the last leaf, read in the table's order from its end (no scan of the partition's nodes); 0 and 0 when empty.
SELECT max(next) AS size, max(last) AS last_offset
FROM
(
    SELECT node_index + 1 AS next, offset AS last
    FROM merkle_nodes
    WHERE partition = {partition:UInt16} AND level = 0
    ORDER BY partition DESC, level DESC, node_index DESC
    LIMIT 1
)
