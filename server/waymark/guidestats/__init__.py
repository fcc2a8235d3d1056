"""Guide figures per day: a projection of guide events into per-visitor day rows, and the guide reports they feed."""
