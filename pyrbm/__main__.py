"""``python -m pyrbm``: the ``pyrbm`` command (e.g. under ``mpiexec -n 2 python -m pyrbm``)."""

import sys

from .cli import main

sys.exit(main())
