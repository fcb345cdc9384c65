"""groundset."""
