"""python -m observatory.bench: the same as benchmarks/run.py."""

from observatory.bench import main

main()
