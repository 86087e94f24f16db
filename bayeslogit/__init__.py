"""bayeslogit."""
