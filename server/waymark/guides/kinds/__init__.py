"""What each guide kind beyond the walkthrough adds to a guide file: checks, compiled JSON, rules (pure)."""
