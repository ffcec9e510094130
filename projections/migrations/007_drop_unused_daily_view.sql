-- The daily view of 004 was never queried: the ranking, KPIs and trend read `appeals` directly.
DROP VIEW IF EXISTS daily_region_body_category;
