"""``python -m bayeslogit.cli``: the ``bayeslogit`` command."""

import sys

from . import main

sys.exit(main())
