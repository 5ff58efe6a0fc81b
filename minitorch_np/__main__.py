"""``python -m minitorch_np``: the ``minitorch-np`` command (see ``minitorch_np/cli.py``)."""
import sys

from .cli import main

sys.exit(main())
