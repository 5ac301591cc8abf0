"""Face: one portrait photo rendered as a face in a given FaceState."""
