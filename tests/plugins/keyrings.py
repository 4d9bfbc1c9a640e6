"""pytest fixtures: keyrings (filled in by the area that owns it)."""
