"""``python -m probnn``: the same as the ``probnn`` command."""

import sys

from probnn.cli import main

if __name__ == "__main__":
    sys.exit(main())
