"""The demo: Ledgerly, a fake invoicing product that embeds the widget, and its synthetic history (never imported
by the product; ``waymark demo`` reaches it through the ``waymark.commands`` entry point)."""
