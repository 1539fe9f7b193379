"""Every write of product usage: ``ingest`` (event batches), ``rollups`` (folding staged batches into the
daily rollups), ``catalog`` (the feature catalog), ``partitions`` (monthly partitions of the events
table) and ``retention`` (old events and partitions)."""
