import sys

from svclib.migrations import main

sys.exit(main())
