"""`python -m leadbridge.sandbox …`: the same as `leadbridge sandbox …` (for subprocesses and tests)."""

import sys

from leadbridge.cli.main import main

sys.exit(main(["sandbox", *sys.argv[1:]]))
