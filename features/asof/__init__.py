"""Point-in-time builders: pure functions over `Records` that describe people, posts and
courses as known before a date (only rows with ``recorded_at < as_of`` count)."""
