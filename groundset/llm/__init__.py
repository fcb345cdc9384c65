"""groundset.llm."""
