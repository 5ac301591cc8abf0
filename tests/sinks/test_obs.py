"""OBS Studio reading livehost's SRT output: the host's face (not the test pattern) on an SRT
listener, OBS (under Xvfb) given it as a Media Source over obs-websocket, and OBS's own
screenshot of that source compared with what the host recorded at the same time."""

from __future__ import annotations

import base64
import io
import socket

import av
import numpy as np
import pytest
from loopback import free_port, wait_for
from obs_studio import have_obs, obs_studio
from PIL import Image

from livehost.bench.sinks.host import running_host

pytestmark = [pytest.mark.slow, pytest.mark.skipif(have_obs() is not None, reason=have_obs() or "-")]

SIZE = 512


def thumbnail(image: np.ndarray) -> np.ndarray:
    """Grey 64x64, zero mean, unit norm: a dot product of two is their correlation."""
    grey = np.asarray(Image.fromarray(image).convert("L").resize((64, 64), Image.BILINEAR), np.float64)
    grey -= grey.mean()
    return grey / (np.linalg.norm(grey) or 1.0)


def recorded_thumbnails(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [thumbnail(frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]


def test_obs_media_source_shows_the_avatar_from_srt(tmp_path):
    port = free_port(socket.SOCK_DGRAM)
    recording = tmp_path / "host.mp4"
    sinks = [f"srt://127.0.0.1:{port}?mode=listener", f"record:{recording}"]
    with running_host(tmp_path, sinks, size=f"{SIZE}x{SIZE}", pattern=False, duration=90) as host, \
            obs_studio(tmp_path) as obs:
        assert obs.request("GetVersion")["obsVersion"]
        scene = obs.request("GetCurrentProgramScene")["currentProgramSceneName"]
        obs.request("CreateInput", sceneName=scene, inputName="livehost", inputKind="ffmpeg_source",
                    inputSettings={"is_local_file": False, "input": f"srt://127.0.0.1:{port}?mode=caller",
                                   "input_format": "mpegts", "reconnect_delay_sec": 1, "buffering_mb": 1})
        wait_for(lambda: obs.request("GetMediaInputStatus", inputName="livehost")["mediaState"]
                 == "OBS_MEDIA_STATE_PLAYING", 30, "OBS's media source to play")
        wait_for(lambda: host.status()["sinks"]["srt"]["state"] == "live", 10, "the host to see OBS")

        def screenshot() -> Image.Image | None:
            shot = obs.request("GetSourceScreenshot", sourceName="livehost", imageFormat="png",
                               imageWidth=SIZE, imageHeight=SIZE)["imageData"]
            image = Image.open(io.BytesIO(base64.b64decode(shot.split(",", 1)[1]))).convert("RGB")
            return image if np.asarray(image).std() > 10 else None  # not decoded yet: blank

        shot = wait_for(screenshot, 20, "a picture in OBS's source", every=0.5)
        shot.save(tmp_path / "obs-screenshot.png")
        image = np.asarray(shot)
        late_ticks = host.status()["late_ticks"]
    frames = recorded_thumbnails(recording)
    # the host recorded the whole time OBS was connecting (a second or more, however fast OBS was)
    assert len(frames) >= 25, f"only {len(frames)} frames recorded"
    # the same picture OBS showed is among what the host sent: the avatar, not a blank or the pattern
    best = max(float(np.sum(thumbnail(image) * f)) for f in frames)
    assert best > 0.9, f"best correlation {best:.3f} with {len(frames)} recorded frames"
    print(f"OBS screenshot {tmp_path / 'obs-screenshot.png'}: correlation {best:.3f} with the recording, "
          f"{late_ticks} late ticks")
