"""Product usage: event ingestion, monthly partitions and retention, daily rollups, the feature catalog,
adoption metrics and the first 90 days (METRICS.md "Adoption")."""
