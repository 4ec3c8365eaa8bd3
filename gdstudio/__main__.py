"""``python -m gdstudio``: the same as the ``gdstudio`` command."""

from __future__ import annotations

import sys

from gdstudio.cli import main

if __name__ == "__main__":
    sys.exit(main())
