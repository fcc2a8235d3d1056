"""Peer benchmarks: a tenant's metric among tenants that share its industry, plan or size band, k-anonymously."""
