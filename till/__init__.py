"""till: a point-of-sale till for Flash products over the Flash Partner API v4."""

__version__ = "0.1.0"
