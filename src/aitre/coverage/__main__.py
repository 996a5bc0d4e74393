"""`python -m aitre.coverage`, the same as `aitre coverage`."""

import sys

from aitre.coverage.report import main

sys.exit(main())
