"""Policies with evidence: versioned documents, the prompt's decisions and their append-only, hash-chained ledger."""
