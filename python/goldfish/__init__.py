"""Goldfish stage-side Python package.

Stage code imports `goldfish.io` exactly as it does with the Python goldfish-ml, so
existing stages run unchanged. Only `goldfish.io` lives here; everything else Goldfish
does happens in the Swift host.
"""

__version__ = "0.1.0"
