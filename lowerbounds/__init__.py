"""lowerbounds: executable lower bounds for distributed optimization with communication compression.

Theory (symbolic bounds), measurement (runs, rounds-to-ε, sweeps, fits, verdicts), reports and the
command line. It imports :mod:`constructions` and :mod:`algorithms`; nothing imports it back.
"""

__version__ = "0.1.0"
