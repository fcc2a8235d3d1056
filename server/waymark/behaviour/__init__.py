"""Behavioural analytics: trends, funnels, retention, paths, signal, impact, cohorts, alerts and milestones.

Every analysis reads the same vocabulary (:mod:`waymark.behaviour.refs`): what an event reference is, and
whether it counts visitors or tenants.
"""
