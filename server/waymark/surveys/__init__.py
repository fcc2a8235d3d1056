"""NPS surveys and polls: guide steps, answer tallies and their reports."""
