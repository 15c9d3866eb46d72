"""Sub-commands of the ``lowerbounds`` command line (see :mod:`lowerbounds.cli`)."""
