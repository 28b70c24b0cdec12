"""``python -m degtools``: the same as the ``degtools`` command."""

import sys

from degtools.cli import main

sys.exit(main())
