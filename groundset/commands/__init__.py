"""groundset.commands."""
