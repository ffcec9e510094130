-- The appeals one applicant filed, by their pseudonym (citizen_ref), for an erasure of their personal data.
SELECT DISTINCT appeal_id
FROM appeals
WHERE citizen_ref = {citizen_ref:String} AND citizen_ref != ''
ORDER BY appeal_id
