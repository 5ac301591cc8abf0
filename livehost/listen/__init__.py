"""Listening: the microphone, voice activity and turn-taking, speech recognition, barge-in
and not hearing the host's own voice."""
