"""gdstudio.ui.window."""
