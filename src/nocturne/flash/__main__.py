"""``python -m nocturne.flash``: the same as ``nocturne flash``."""

import contextlib
import sys

from .cli import main

with contextlib.suppress(KeyboardInterrupt):
    sys.exit(main())
