"""pytest fixtures: nginx (filled in by the area that owns it)."""
