"""PyInstaller entry point for the bundle: the same ``main`` as the ``streamdesk`` console script."""

import sys

from streamdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
