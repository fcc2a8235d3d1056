"""Bringing a database up to this version: the migrations (schema only), then the back-fills they marked.

A migration must not import the application (a later change to that code would silently change
what an old migration does), so it only creates and alters tables and marks in ``pending_backfills``
what needs filling from the rows already stored. :func:`waymark.upgrade.run.upgrade` runs the
migrations and then every pending back-fill with the application's own code; ``waymark db upgrade``
and everything else that upgrades a database calls it.
"""
