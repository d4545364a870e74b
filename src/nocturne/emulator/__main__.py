"""``python -m nocturne.emulator``: the same as ``nocturne emulate``."""

import sys

from .cli import main

sys.exit(main())
