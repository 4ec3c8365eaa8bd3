"""Files: sessions (``session``), history exports (``export``), atomic writes (``atomic``)."""
