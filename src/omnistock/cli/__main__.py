"""`python -m omnistock.cli ...`, the same as the `omnistock` console script."""

from . import app

app(prog_name="omnistock")
