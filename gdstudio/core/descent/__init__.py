"""gdstudio.core.descent."""
