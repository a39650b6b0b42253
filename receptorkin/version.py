"""The version of receptorkin (the same as ``version`` in ``pyproject.toml``), in the bottom layer so that any
module can name it without importing the package's face, :mod:`receptorkin`."""

__version__ = "0.1.0"
