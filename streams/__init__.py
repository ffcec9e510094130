"""tyndau: an event-sourced ledger of citizens' appeals on Kafka, with Faust agents."""
