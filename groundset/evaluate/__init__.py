"""groundset.evaluate."""
