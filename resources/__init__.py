"""Icons and sample data shipped with gdstudio (installed as ``gdstudio.resources``)."""
