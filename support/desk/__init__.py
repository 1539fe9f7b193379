"""The agent desk: inbox, ticket page, macros, callbacks and contact merges (pages), and
``POST /api/v1/callbacks``."""
