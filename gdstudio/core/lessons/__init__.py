"""Guided lessons (Qt-free)."""
