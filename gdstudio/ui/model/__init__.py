"""The window's state without Qt: the run model the views observe, its rows, a race's lanes,
the status line's words, number formatting. Tested without a QApplication."""
