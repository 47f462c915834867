"""Writing frames for people: PNG, GIF (Pillow only) and MP4 (the ``video`` extra), with text on frames.

Frames are uint8 RGB arrays ``[T, H, W, 3]`` (see :func:`tumble.render.raster.to_uint8`).

    save_frames(frames, "run.gif", fps=60)      # or .png (the last frame) or .mp4
    frame = write_text(frame, "SOLVED in 34 steps", colour=(30, 150, 60), where="banner")

MP4 goes through ``imageio-ffmpeg``, which ships its own ffmpeg binary in its
wheel (``pip install 'tumble[video]'``); nothing is needed from the system.
GIF frame delays are whole hundredths of a second, so a GIF plays at most at
50 frames per second (60 fps becomes 50).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FORMATS = (".png", ".gif", ".mp4")
VIDEO_HINT = "pip install 'tumble[video]'"


class VideoDependencyError(RuntimeError):
    """MP4 export was asked for but its optional dependency is not installed."""


def _as_frames(frames) -> np.ndarray:
    arr = np.asarray(frames)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"frames must be RGB images [T, H, W, 3], got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("no frames to write")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating):
            arr = np.round(np.clip(arr, 0.0, 1.0) * 255.0)
        arr = arr.astype(np.uint8)
    return arr


def _font(pixels: int):
    try:
        return ImageFont.load_default(size=pixels)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


def write_text(frame: np.ndarray, text: str, colour=(40, 40, 40), where: str = "corner",
               scale: float = 1.0) -> np.ndarray:
    """``frame`` (uint8 [H, W, 3]) with ``text`` written on it (a new array).

    ``where``: ``"corner"`` (small, top left, for a caption or step counter)
    or ``"banner"`` (large, centred on a light band across the bottom, which
    is the floor in the usual view, for the episode outcome).
    """
    img = Image.fromarray(np.ascontiguousarray(frame, np.uint8))
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    if where == "corner":
        font = _font(max(8, round(0.03 * scale * min(w, h))))
        at = (max(2, w // 100), max(1, h // 150))
        box = draw.textbbox(at, text, font=font)
        draw.rectangle([box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1], fill=(255, 255, 255, 170))
        draw.text(at, text, fill=tuple(colour), font=font)
    elif where == "banner":
        font = _font(max(10, round(0.06 * scale * min(w, h))))
        box = draw.textbbox((0, 0), text, font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
        pad = max(3, th // 3)
        top = h - th - 2 * pad - max(1, h // 100)
        draw.rectangle([0, top, w, top + th + 2 * pad], fill=(255, 255, 255, 225))
        draw.text(((w - tw) // 2 - box[0], top + pad - box[1]), text, fill=tuple(colour), font=font)
    else:
        raise ValueError(f"where must be 'corner' or 'banner', got {where!r}")
    return np.asarray(img)


def save_png(frame, path: str | Path) -> Path:
    """Write one frame (the last, if given several) as a PNG."""
    arr = _as_frames(frame)[-1]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def save_gif(frames, path: str | Path, fps: float = 30.0) -> Path:
    """Write a looping GIF; one palette for all frames (no flicker), no dithering.

    Consecutive identical frames are merged into one longer frame by Pillow
    (the total duration is kept), so give frames a step counter to keep one
    GIF frame per frame.
    """
    arr = _as_frames(frames)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picks = arr[np.unique(np.linspace(0, len(arr) - 1, min(len(arr), 6)).round().astype(int))]
    sheet = Image.fromarray(np.concatenate(list(picks), axis=1))
    palette = sheet.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in arr]
    delay = 10 * max(2, round(100.0 / fps))  # ms, whole hundredths; viewers slow delays under 20 ms down
    images[0].save(path, save_all=True, append_images=images[1:], duration=delay, loop=0, optimize=False)
    return path


def _ffmpeg():
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise VideoDependencyError(
            f"MP4 export needs the optional video dependencies (imageio, imageio-ffmpeg): {VIDEO_HINT}; "
            "or write a .gif or .png instead") from exc
    return imageio_ffmpeg


def save_mp4(frames, path: str | Path, fps: float = 60.0, quality: int = 8) -> Path:
    """Write an H.264 MP4 (yuv420p, plays everywhere) through imageio-ffmpeg's bundled ffmpeg.

    Odd widths or heights are padded by one edge pixel (the codec needs even sizes).
    """
    ffmpeg = _ffmpeg()
    arr = _as_frames(frames)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    _, h, w, _ = arr.shape
    if h % 2 or w % 2:
        arr = np.pad(arr, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        h, w = arr.shape[1:3]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # JAX warns about any fork; the encoder is a plain subprocess
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        _encode(ffmpeg, arr, path, w, h, fps, quality)
    return path


def _encode(ffmpeg, arr: np.ndarray, path: Path, w: int, h: int, fps: float, quality: int) -> None:
    writer = ffmpeg.write_frames(str(path), (w, h), fps=float(fps), codec="libx264", pix_fmt_in="rgb24",
                                 pix_fmt_out="yuv420p", quality=quality, macro_block_size=1,
                                 ffmpeg_log_level="error")
    writer.send(None)  # start the encoder
    try:
        for f in arr:
            writer.send(np.ascontiguousarray(f))
    finally:
        writer.close()


def count_video_frames(path: str | Path) -> int:
    """Frames in a video or GIF, by decoding it (GIF: Pillow; MP4: imageio-ffmpeg)."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        with Image.open(path) as im:
            return int(im.n_frames)
    if path.suffix.lower() == ".png":
        return 1
    ffmpeg = _ffmpeg()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        reader = ffmpeg.read_frames(str(path))
        next(reader)  # metadata
        return sum(1 for _ in reader)


def save_frames(frames, path: str | Path, fps: float = 60.0) -> Path:
    """Write ``frames`` by the file's suffix: ``.png`` (the last frame), ``.gif`` or ``.mp4``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return save_png(frames, path)
    if suffix == ".gif":
        return save_gif(frames, path, fps)
    if suffix == ".mp4":
        return save_mp4(frames, path, fps)
    raise ValueError(f"unknown output format {suffix or '(no suffix)'!r} for {path}; use one of {', '.join(FORMATS)}")


def label_frames(frames, labels: Sequence[str], colour=(40, 40, 40)) -> np.ndarray:
    """Write one corner caption per frame."""
    arr = _as_frames(frames)
    if len(labels) != len(arr):
        raise ValueError(f"got {len(labels)} labels for {len(arr)} frames")
    return np.stack([write_text(f, t, colour) for f, t in zip(arr, labels)])
