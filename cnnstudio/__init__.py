"""CNN Studio: design, train and export convolutional networks.

The package is layered (see docs/architecture.md): ``core`` is pure Python and holds the
truth; ``compiler`` and ``training`` build on it with torch; ``cli`` and ``gui`` drive them.
"""

__version__ = "0.1.0"
