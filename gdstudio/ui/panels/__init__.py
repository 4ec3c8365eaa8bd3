"""gdstudio.ui.panels."""
