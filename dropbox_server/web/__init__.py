"""The HTTP layer both sites share, below the views: connections, protocol errors."""
