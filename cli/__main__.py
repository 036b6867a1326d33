"""``python -m gqap.cli`` runs the ``gqap`` command."""

import sys

from gqap.cli.main import main

sys.exit(main())
