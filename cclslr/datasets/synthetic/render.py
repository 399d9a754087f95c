"""Drawing with OpenCV: cluttered backgrounds and the 2D signer on top of them.

Everything is drawn from the 133 keypoints of ``skeleton.py`` (plus the signer's static body geometry),
so the pose track and the picture agree. Images are RGB uint8 (H, W, 3); ``clip.py`` converts to BGR for
``cv2.VideoWriter``. Sub-pixel positions use OpenCV's ``shift`` argument.
"""
import math

import cv2
import numpy as np

from .signer import BodyGeometry, SignerSpec, random_colour_away_from
from .skeleton import FACE0, FINGERS, LHAND0, RHAND0

SHIFT = 4
_SCALE = 1 << SHIFT
MOUTH_CAVITY = (70, 20, 30)


def _p(xy):
    """Pixel coordinates -> OpenCV fixed-point integers (scaled by 2 ** SHIFT)."""
    return np.round(np.asarray(xy, np.float64) * _SCALE).astype(np.int32)


def _shade(colour, k):
    return tuple(int(np.clip(c * k, 0, 255)) for c in colour)


def _line(img, a, b, colour, width):
    cv2.line(img, tuple(_p(a)), tuple(_p(b)), colour, max(1, int(round(width))), cv2.LINE_AA, SHIFT)


def _poly(img, pts, colour):
    cv2.fillPoly(img, [_p(pts)], colour, cv2.LINE_AA, SHIFT)


def render_background(signer: SignerSpec, width: int, height: int, clutter: float,
                      rng: np.random.Generator) -> np.ndarray:
    """The signer's static "room" with per-clip variation. Returns RGB uint8 (H, W, 3).

    The room (gradient, stripes, shapes, texture) is fixed by ``signer.background_seed``; ``rng`` (the
    clip's generator) adds a few clip-specific shapes, a shift and a brightness change, so RGB carries
    sign-irrelevant content that differs between signers and a little between clips.
    """
    if not 0.0 <= clutter <= 1.0:
        raise ValueError(f'clutter must be in [0, 1], got {clutter}')
    room = np.random.default_rng(signer.background_seed)
    avoid = [signer.skin, signer.clothes]
    c0 = np.array(random_colour_away_from(room, avoid), np.float32)
    c1 = np.array(random_colour_away_from(room, avoid), np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    a = room.uniform(0, 2 * math.pi)
    t = (xs * math.cos(a) + ys * math.sin(a))
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    if room.random() < 0.3 + 0.7 * clutter:   # stripes (wallpaper, blinds)
        period = room.uniform(0.06, 0.3) * width
        b = room.uniform(0, math.pi)
        stripes = np.sign(np.sin(2 * math.pi * (xs * math.cos(b) + ys * math.sin(b)) / period))
        img += (35 * clutter * stripes)[..., None] * room.uniform(-1, 1, 3).astype(np.float32)
    img = np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
    _draw_clutter(img, room, int(round(10 * clutter)), avoid)
    _draw_clutter(img, rng, int(rng.integers(0, int(round(3 * clutter)) + 1)), avoid)
    if clutter > 0:   # static sensor-like texture
        tex = cv2.GaussianBlur(room.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 1.0)
        img = img.astype(np.float32) + (10 * clutter * tex)[..., None]
    img = np.roll(img, tuple(int(v) for v in rng.integers(-2, 3, 2)), axis=(0, 1))
    img = img.astype(np.float32) * rng.uniform(0.92, 1.08)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_clutter(img, rng, count, avoid):
    h, w = img.shape[:2]
    for _ in range(count):
        colour = random_colour_away_from(rng, avoid)
        kind = int(rng.integers(3))
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        size = rng.uniform(0.05, 0.3) * w
        if kind == 0:
            cv2.rectangle(img, tuple(_p((x0, y0))), tuple(_p((x0 + size, y0 + size * rng.uniform(0.3, 2)))),
                          colour, -1, cv2.LINE_AA, SHIFT)
        elif kind == 1:
            cv2.circle(img, tuple(_p((x0, y0))), int(size * _SCALE / 2), colour, -1, cv2.LINE_AA, SHIFT)
        else:
            _line(img, (x0, y0), (x0 + rng.uniform(-1, 1) * size * 2, y0 + rng.uniform(-1, 1) * size * 2),
                  colour, rng.uniform(1, 0.04 * w + 1))


def _hand_and_arm(imgs, colours, P, side, g: BodyGeometry):
    """Upper arm (sleeve), forearm and hand of one side onto every image in ``imgs``.

    ``P``: (133, 2) fixed-point keypoints (see :func:`_p`).
    """
    sh, el, wr, h0 = (5, 7, 9, LHAND0) if side == 'left' else (6, 8, 10, RHAND0)
    hand = P[h0:h0 + 21]
    palm = cv2.convexHull(hand[[0, 1, 5, 9, 13, 17]])
    chains = [np.ascontiguousarray(hand[list(c)]) for c in FINGERS]
    aw, fw = max(1, int(round(g.arm_width))), max(1, int(round(g.finger_width)))
    for img, (sleeve, skin, edge) in zip(imgs, colours):
        aa = cv2.LINE_AA if img.ndim == 3 else cv2.LINE_8   # masks stay binary
        cv2.line(img, tuple(P[sh]), tuple(P[el]), sleeve, aw, aa, SHIFT)
        cv2.line(img, tuple(P[el]), tuple(P[wr]), skin, max(1, int(round(0.8 * aw))), aa, SHIFT)
        cv2.fillConvexPoly(img, palm, skin, aa, SHIFT)
        # Fingers: a darker rim first, so they stay visible in front of the face.
        if edge != skin:
            cv2.polylines(img, chains, False, edge, fw + 1, aa, SHIFT)
        cv2.polylines(img, chains, False, skin, fw, aa, SHIFT)


def draw_static_body(background: np.ndarray, kp: np.ndarray, g: BodyGeometry, signer: SignerSpec):
    """Background + the parts of the signer that never move: torso, neck, head, hair, eyes, brows, nose.

    Args:
        background: RGB uint8 (H, W, 3); not modified.
        kp: (133, 2) keypoints of any frame of the clip (only the static face points are used).
    """
    img = background.copy()
    h = img.shape[0]
    skin, clothes = tuple(signer.skin), tuple(signer.clothes)
    nw = 0.55 * g.head_rx
    _poly(img, [(g.cx - nw, g.head_y), (g.cx + nw, g.head_y), (g.cx + nw, g.shoulder_y + 5),
                (g.cx - nw, g.shoulder_y + 5)], skin)
    aw, sy, sw = g.arm_width, g.shoulder_y, g.shoulder_hw
    torso = [(g.cx - sw - 0.45 * aw, sy + 0.4 * aw), (g.cx - sw, sy - 0.45 * aw), (g.cx - nw, sy - 0.7 * aw),
             (g.cx, sy - 0.1 * aw), (g.cx + nw, sy - 0.7 * aw), (g.cx + sw, sy - 0.45 * aw),
             (g.cx + sw + 0.45 * aw, sy + 0.4 * aw), (g.cx + 1.05 * sw, h + 10), (g.cx - 1.05 * sw, h + 10)]
    _poly(img, torso, clothes)
    centre, axes = tuple(_p((g.head_x, g.head_y))), tuple(_p((g.head_rx, g.head_ry)))
    cv2.ellipse(img, centre, axes, 0, 0, 360, skin, -1, cv2.LINE_AA, SHIFT)
    cv2.ellipse(img, tuple(_p((g.head_x, g.head_y - 0.42 * g.head_ry))),
                tuple(_p((1.06 * g.head_rx, 0.68 * g.head_ry))), 0, 180, 360, tuple(signer.hair), -1,
                cv2.LINE_AA, SHIFT)
    face = kp[FACE0:FACE0 + 68]
    for eye in (face[36:42], face[42:48]):
        r = max(0.6, 0.45 * float(np.ptp(eye[:, 0])) / 2)
        cv2.circle(img, tuple(_p(eye.mean(0))), int(r * _SCALE), (25, 20, 20), -1, cv2.LINE_AA, SHIFT)
    for brow in (face[17:22], face[22:27]):
        cv2.polylines(img, [_p(brow)], False, tuple(signer.hair), 1, cv2.LINE_AA, SHIFT)
    _line(img, face[27], face[30], _shade(skin, 0.82), 1)
    return img


def draw_signer(static: np.ndarray, kp: np.ndarray, g: BodyGeometry, signer: SignerSpec,
                arm_order=('left', 'right')):
    """Draw the moving parts of one frame (mouth, arms, hands) onto the clip's static image.

    Args:
        static: RGB uint8 (H, W, 3) from :func:`draw_static_body`; not modified.
        kp: (133, 2) keypoints in pixels from :func:`skeleton.wholebody_keypoints`.
        arm_order: arms drawn first to last (the last one is in front).
    Returns:
        frame: RGB uint8 (H, W, 3).
        moving: bool (H, W), pixels of arms, hands and mouth (the ground-truth moving region).
    """
    img = static.copy()
    skin = tuple(signer.skin)
    P = _p(kp)
    moving = np.zeros(img.shape[:2], np.uint8)
    lips = _shade((skin[0] * 0.8 + 60, skin[1] * 0.55, skin[2] * 0.55), 1.0)
    inner = P[FACE0 + 60:FACE0 + 68]
    is_open = np.ptp(kp[FACE0 + 60:FACE0 + 68, 1]) > 0.5
    for im, lip_c, cav_c, aa in ((img, lips, MOUTH_CAVITY, cv2.LINE_AA), (moving, 1, 1, cv2.LINE_8)):
        cv2.fillPoly(im, [P[FACE0 + 48:FACE0 + 60]], lip_c, aa, SHIFT)
        if is_open:
            cv2.fillPoly(im, [inner], cav_c, aa, SHIFT)
    edge = _shade(skin, 0.72)
    for side in arm_order:
        _hand_and_arm([img, moving], [(_shade(signer.clothes, 0.8), skin, edge), (1, 1, 1)], P, side, g)
    return img, moving > 0
