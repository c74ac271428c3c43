"""Course files -> validated plain data -> upserted content (no views)."""
