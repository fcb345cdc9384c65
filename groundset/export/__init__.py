"""groundset.export."""
