"""pytest fixtures: obs (filled in by the area that owns it)."""
