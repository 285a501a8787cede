"""NASNet (placeholder, filled below)."""
