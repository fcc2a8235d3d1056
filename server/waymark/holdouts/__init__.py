"""Holdout groups: who was held out of a guide, and what the guide changed (the lift report)."""
