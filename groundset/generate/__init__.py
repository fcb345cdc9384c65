"""groundset.generate."""
