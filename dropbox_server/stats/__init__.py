"""Statistics: monthly counters turned into published figures, with small-number protection."""
