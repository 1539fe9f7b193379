"""Writes of the records: ``tickets`` (tickets, interactions, status, assignment), ``identities``
(customer identities, contact matching and merges), ``agents`` (agents and presence) and ``teams``."""
