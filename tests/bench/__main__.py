"""`python -m tests.bench`: the federal-scale benchmark (see tests/bench/runner.py)."""

from tests.bench.runner import main

raise SystemExit(main())
