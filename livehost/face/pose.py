"""Head rotations in image coordinates (x right, y down, z away from the camera), with the
FaceState conventions: pitch > 0 chin up, yaw > 0 face turns toward the image's right,
roll > 0 clockwise in the image."""

from __future__ import annotations

import numpy as np

from .topology import CHIN, FOREHEAD, LEFT_EYE_CORNERS, MOUTH_CORNERS, RIGHT_EYE_CORNERS


def rotation(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """3x3 matrix for angles in degrees: roll · yaw · pitch, applied to column vectors."""
    p, y, r = np.radians([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def angles(matrix: np.ndarray) -> tuple[float, float, float]:
    """(pitch, yaw, roll) in degrees of a matrix made by ``rotation``."""
    yaw = np.arcsin(np.clip(matrix[2, 0], -1, 1))
    pitch = np.arctan2(-matrix[2, 1], matrix[2, 2])
    roll = np.arctan2(matrix[1, 0], matrix[0, 0])
    return float(np.degrees(pitch)), float(np.degrees(yaw)), float(np.degrees(roll))


def head_rotation(mesh: np.ndarray) -> np.ndarray:
    """The head's rotation from its 3D mesh: the face's left→right and top→bottom axes, made
    orthonormal (a frontal, upright face gives the identity)."""
    right = [LEFT_EYE_CORNERS[0], MOUTH_CORNERS[0], 234]
    left = [RIGHT_EYE_CORNERS[1], MOUTH_CORNERS[1], 454]
    x = mesh[left].mean(0) - mesh[right].mean(0)
    y = mesh[CHIN] - mesh[FOREHEAD]
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    z /= np.linalg.norm(z)
    y = np.cross(z, x)
    return np.column_stack([x, y, z])


def face_size(mesh: np.ndarray) -> tuple[float, float]:
    """(width, height) of the face in pixels: cheek to cheek, forehead to chin, in 3D so a
    turned or tilted head gives the same figures."""
    width = float(np.linalg.norm(mesh[454] - mesh[234]))
    height = float(np.linalg.norm(mesh[CHIN] - mesh[FOREHEAD]))
    return width, height
