"""gdstudio.core.race."""
