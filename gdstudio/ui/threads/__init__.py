"""gdstudio.ui.threads."""
