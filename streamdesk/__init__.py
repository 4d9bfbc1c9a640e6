"""streamdesk: take a GetStream livestream from nothing to live and back, next to OBS Studio."""

__version__ = "0.1.0"
