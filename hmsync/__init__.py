"""hmsync: 100ms templates and roles as code."""

__version__ = "0.4.0"
