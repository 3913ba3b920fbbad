"""The sections of benchmarks/run.py, one module each (see run.py's docstring for the list)."""
