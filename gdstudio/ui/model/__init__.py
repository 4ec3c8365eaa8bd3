"""gdstudio.ui.model."""
