"""gdstudio.ui.plots."""
