"""``python -m federation_desk`` opens the desktop app."""

import sys

from federation_desk.app import main

sys.exit(main())
