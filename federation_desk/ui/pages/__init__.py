"""One page per module, created on first visit (the shell paints before any of them is imported)."""
