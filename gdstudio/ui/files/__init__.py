"""gdstudio.ui.files."""
