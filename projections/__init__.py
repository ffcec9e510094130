"""ClickHouse projections of the ledger: DDL migrations, the batch writer, named queries."""
