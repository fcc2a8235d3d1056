"""Who is asking: app keys, people, roles, sessions, and the principal every private request resolves to."""
