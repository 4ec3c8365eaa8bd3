"""gdstudio.core.io."""
