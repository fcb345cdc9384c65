"""groundset.ingest."""
