"""regenerate.py needs SCALE-Sim (a throwaway venv, never a chiplab dependency): keep pytest's doctest
collection from importing it."""

collect_ignore = ["regenerate.py"]
