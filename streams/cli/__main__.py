"""`python -m streams.cli …`: the same as the `tyndau` script."""

import sys

from . import main

sys.exit(main())
