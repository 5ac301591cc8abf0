"""livehost: a long-running AI host for live streams and video calls."""

__version__ = "0.1.0"
