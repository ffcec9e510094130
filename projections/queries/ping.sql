-- Whether the engine answers at all (the projector tells an outage from an event the engine refuses).
SELECT 1 AS ok
