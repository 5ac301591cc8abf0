"""Region policy for gestures whose meaning differs between cultures. In Bulgaria and Albania
a nod reads as "no" and a side-to-side shake as "yes"; in South India a sideways head
wobble says "yes". Keys are ISO 3166-1 alpha-2 codes (the persona's ``region``)."""

from __future__ import annotations

from typing import Literal

AffirmGesture = Literal["nod", "shake", "wobble"]

_AFFIRM: dict[str, AffirmGesture] = {"BG": "shake", "AL": "shake", "IN": "wobble"}


def affirm_gesture(region: str) -> AffirmGesture:
    return _AFFIRM.get(region.upper(), "nod")
