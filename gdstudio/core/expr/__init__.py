"""gdstudio.core.expr."""
