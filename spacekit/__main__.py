import sys

from spacekit.cli import main

sys.exit(main())
