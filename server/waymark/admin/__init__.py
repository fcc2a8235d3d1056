"""The admin: Jinja2 pages (reports, apps, keys, settings), their charts and forms, served under ``/admin``."""
