"""Table models: one per list, each holding light immutable rows (``data()`` never queries)."""
