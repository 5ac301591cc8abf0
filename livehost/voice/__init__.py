"""Text to speech: engines behind one protocol, and the worker that feeds the timeline."""
