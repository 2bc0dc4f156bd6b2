"""PyInstaller entry point: the same `designer_app.main:main` the pip gui-script runs."""

import sys

from designer_app.main import main

if __name__ == "__main__":
    sys.exit(main())
