"""Local servers that speak each chat platform's real protocol on 127.0.0.1, for the tests
and ``livehost bench chat``: one module per platform, each with a ``Server``."""
