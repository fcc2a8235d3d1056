"""Signed webhook deliveries: per-app endpoints and secret, an outbox filled inside the caller's transaction, a sender
that retries with backoff, and a log of every attempt."""
