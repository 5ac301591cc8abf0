"""Motion: the face state at every instant, from speech, sentence tags and idle life."""
