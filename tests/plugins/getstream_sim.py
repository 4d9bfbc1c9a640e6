"""pytest fixtures: getstream_sim (filled in by the area that owns it)."""
