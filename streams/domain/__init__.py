"""The pure domain of appeals: commands, events, state, deadlines. No I/O, no clock."""
