"""Named landmark indices of MediaPipe's 468-point face mesh. "Left"/"right" are image sides
(the person's right eye is the image-left one)."""

from __future__ import annotations

FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109)
FOREHEAD, CHIN = 10, 152

# Lips, each contour from the image-left corner to the image-right one.
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291)
# The lip rings between the inner and outer lines; their end points sit in the corners.
LIPS_SEMI_INNER_UPPER = (62, 183, 42, 41, 38, 12, 268, 271, 272, 407, 292)
LIPS_SEMI_INNER_LOWER = (62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292)
LIPS_SEMI_OUTER_UPPER = (76, 184, 74, 73, 72, 11, 302, 303, 304, 408, 306)
LIPS_SEMI_OUTER_LOWER = (76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306)

# Eyes: corners (image-left, image-right) and lids, each lid from the left corner to the right.
LEFT_EYE_CORNERS = (33, 133)
LEFT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
LEFT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
RIGHT_EYE_CORNERS = (362, 263)
RIGHT_EYE_UPPER = (362, 398, 384, 385, 386, 387, 388, 466, 263)
RIGHT_EYE_LOWER = (362, 382, 381, 380, 374, 373, 390, 249, 263)

LEFT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
RIGHT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
CHEEKS = (50, 101, 205, 280, 330, 425)
