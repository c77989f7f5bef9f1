"""`make bench`: benchmark a full refresh at a scale (see benchmarks/README.md).

The harness is the package module ``observatory.bench`` (importable by the tests, linted with the
rest); this script only runs it: ``.venv/bin/python benchmarks/run.py --scale smoke``.
"""

from observatory.bench import main

if __name__ == "__main__":
    main()
