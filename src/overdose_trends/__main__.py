"""``python -m overdose_trends``: the same commands as the ``overdose-trends`` script."""

from __future__ import annotations

import sys

from overdose_trends.cli import main

if __name__ == "__main__":
    sys.exit(main())
