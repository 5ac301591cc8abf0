"""Loading a portrait photo into a plain RGB uint8 array, whatever the file holds."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from livehost.errors import LivehostError

MIN_FACE_PX = 80  # the narrowest face enrollment animates (200 px or more looks best)


def load_portrait(path: Path) -> np.ndarray:
    """RGB uint8, upright (see ``load_image``), big enough to hold an animatable face."""
    array = load_image(path, "portrait")
    if min(array.shape[:2]) < MIN_FACE_PX:
        raise LivehostError(
            f"portrait {path} is {array.shape[1]}x{array.shape[0]} px, too small to hold a face "
            f"{MIN_FACE_PX} px wide; use a photo where the face is 200 px or more wide"
        )
    return array


def load_image(path: Path, what: str) -> np.ndarray:
    """RGB uint8, upright. Handles EXIF rotation, grayscale, palette, RGBA (composited on
    white), 16-bit and float images; anything else is a LivehostError naming ``what`` and
    the file."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            return _to_rgb8(img)
    except FileNotFoundError:
        raise LivehostError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise LivehostError(f"{what} {path} is a folder, not an image") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise LivehostError(f"{what} {path} is not a readable image ({exc})") from None


def _to_rgb8(img) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        data = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or data.max() > 255 else 255.0
        gray = np.clip(data / top * 255.0, 0, 255).astype(np.uint8)
        return np.stack([gray] * 3, axis=-1)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:4] / 255.0
        return (rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def fit_cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale ``image`` to cover ``size`` (width, height) and crop around its centre."""
    width, height = size
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    x0 = int(round(np.clip(w / 2 * scale - width / 2, 0, w * scale - width)))
    y0 = int(round(np.clip(h / 2 * scale - height / 2, 0, h * scale - height)))
    resized = cv2.resize(
        image, (max(width, round(w * scale)), max(height, round(h * scale))),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
    )
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])
