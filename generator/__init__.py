"""sitrep: major-incident communication from Git (the ``sitrep`` command's package)."""

__version__ = "0.1.0"
