-- Which importer moved an appeal (its filing) and each event in from another system; NULL for acts
-- performed through tyndau. Histories and dossiers show it; a figure can leave such appeals out.
ALTER TABLE appeals ADD COLUMN IF NOT EXISTS imported_by Nullable(String);
ALTER TABLE appeal_events ADD COLUMN IF NOT EXISTS imported_by Nullable(String);
