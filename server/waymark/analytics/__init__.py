"""Product analytics: pages and features (retroactive rules), daily roll-ups and the reports that read them."""
