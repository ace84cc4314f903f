"""``python -m harness.cli``: the same as the ``sik-llms`` script."""

import sys

from harness.cli.main import main

sys.exit(main())
