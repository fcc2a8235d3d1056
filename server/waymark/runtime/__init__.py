"""Per-app runtime settings that delivery and ingestion both read (budget, privacy, identity, snooze)."""
