"""Support records: tickets, interactions and their status/assignment history, customer identities and
contact merges, agents, teams and presence, and the open spans behind the backlog. Every other support
package reads these; only ``records.services`` writes them."""
