"""`uv run python -m bench [--quick]`: see bench/run.py; `uv run python -m bench soak`: see
bench/soak.py."""

import sys

if sys.argv[1:2] == ["soak"]:
    from bench.soak import main as soak

    soak(sys.argv[2:])
else:
    from bench.run import main

    main()
