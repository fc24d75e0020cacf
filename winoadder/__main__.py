"""`python -m winoadder`: the same command line as the `winoadder` script."""

import sys

from winoadder.cli import main

sys.exit(main())
