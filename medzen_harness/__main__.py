import sys

from medzen_harness.cli import main

sys.exit(main())
