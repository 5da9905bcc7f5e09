"""James Webb Space Telescope applications."""
