"""``python -m chiplab`` is the same as the ``chiplab`` command."""

import sys

from chiplab.cli import main

sys.exit(main())
