"""Race Equality Observatory: measures racial disproportionality for UK councils."""

__version__ = "0.1.0"
