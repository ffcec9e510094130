"""Who is calling: signed credentials of principals (tokens) and the ledger's proof of who sent a command (assertions)."""
