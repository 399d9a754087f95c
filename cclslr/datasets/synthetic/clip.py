"""One clip: sign x signer x repetition -> frames, the exact keypoint track, the moving-region mask.

Timeline of a clip of T frames: the hands rise from rest to the sign's start (onset), perform the sign
(phase s: 0 -> 1, with a random monotone time warp per repetition), then drop back towards rest. The
signer's speed sets T; repetitions differ by timing, amplitude, anchor position and smooth trajectory
noise. The pose file gets detector-like noise on top of the drawn points (:func:`detector_noise`).
"""
import math

import numpy as np

from .render import draw_signer, draw_static_body, render_background
from .signer import BodyGeometry, SignerSpec, body_geometry
from .signs import (LOCATIONS, REST_SHAPE, SignSpec, hand_shape, mouth_openness, orientation, smoothstep,
                    trajectory)
from .skeleton import LHAND0, RHAND0, wholebody_keypoints


def _anchor(loc: str, g: BodyGeometry) -> np.ndarray:
    ref, dx, dy = LOCATIONS[loc]
    if ref == 'head':
        return np.array([g.head_x + dx * g.head_rx, g.head_y + dy * g.head_ry])
    return np.array([g.cx + dx * g.shoulder_hw, g.shoulder_y + dy * g.unit])


def _smooth_noise(rng, num_frames: int, amplitude: float) -> np.ndarray:
    """(T, 2) slow random wobble: two sinusoids per axis with random frequency and phase."""
    t = np.arange(num_frames)[:, None] / max(num_frames, 1)
    out = np.zeros((num_frames, 2))
    for _ in range(2):
        freq = rng.uniform(0.5, 2.0, 2)
        out += amplitude * rng.uniform(0.3, 1.0, 2) * np.sin(2 * math.pi * freq * t + rng.uniform(0, 6.3, 2))
    return out


def _fingers_dir(theta):
    return np.stack([np.cos(theta), np.sin(theta)], -1)


def hand_tracks(sign: SignSpec, signer: SignerSpec, g: BodyGeometry, num_frames: int, rng):
    """Per-frame hand states and mouth opening.

    Returns:
        hands: ``{'left': h, 'right': h}`` (COCO sides), ``h`` a dict of arrays: wrist (T, 2),
            theta (T,), flex (T, 5), spread (T,).
        mouth: (T,) opening in [0, 1].
        dominant: 'right' or 'left' (COCO side of the dominant hand).
    """
    T = num_frames
    t = np.arange(T, dtype=np.float64)
    on = T * rng.uniform(0.1, 0.22)
    off = (T - 1) * (1 - rng.uniform(0.08, 0.2))
    x = np.clip((t - on) / max(off - on, 1.0), 0.0, 1.0)
    s = x + rng.uniform(-0.5, 0.5) * x * (1 - x)             # monotone time warp
    active = smoothstep(t / max(on, 1.0)) * (1 - smoothstep((t - off) / max(T - 1 - off, 1.0)))
    a = active[:, None]

    u = g.unit
    # Canonical frame: the dominant hand is the image-left one. Positions are of the middle knuckle.
    rest_theta_dom, rest_theta_nd = math.pi / 2 - 0.2, math.pi / 2 + 0.2
    rest_dom = np.array([g.cx - 0.8 * g.shoulder_hw, g.shoulder_y + 3.7 * u])
    rest_nd = np.array([2 * g.cx - rest_dom[0], rest_dom[1]])
    rest_flex, rest_spread = np.asarray(REST_SHAPE[0]), REST_SHAPE[1]

    anchor = _anchor(sign.loc, g) + rng.normal(0, 0.15, 2) * u
    gain = rng.uniform(0.85, 1.15)

    def sign_hand(phase, noise):
        centre = anchor + gain * u * trajectory(sign, phase) + noise
        theta = orientation(sign, phase) + rng.normal(0, 0.08)
        flex, spread = hand_shape(sign, phase)
        flex = np.clip(flex + rng.normal(0, 0.04, 5), 0, 1)
        return centre, theta, flex, spread

    dom = sign_hand(s, _smooth_noise(rng, T, signer.traj_noise * u))
    if sign.mode in ('sym', 'alt'):
        phase = s if sign.mode == 'sym' else 1 - s
        c, th, fl, sp = sign_hand(phase, _smooth_noise(rng, T, signer.traj_noise * u))
        nd = (np.stack([2 * g.cx - c[:, 0], c[:, 1]], -1), math.pi - th, fl, sp)
    elif sign.mode == 'base':  # a flat base hand under the dominant one, fingers across the body
        base = anchor + np.array([0.6, 1.0]) * u + _smooth_noise(rng, T, 0.05 * u)
        nd = (base, np.full(T, math.pi + 0.1), np.tile(np.array([0.3, 0, 0, 0, 0.0]), (T, 1)), np.zeros(T))
    elif sign.mode == 'one':
        nd = (np.tile(rest_nd, (T, 1)), np.full(T, rest_theta_nd), np.tile(rest_flex, (T, 1)),
              np.full(T, rest_spread))
    else:
        raise ValueError(f'unknown hand mode {sign.mode!r}')

    tracks = []
    for (centre, theta, flex, spread), rest, rest_theta in ((dom, rest_dom, rest_theta_dom),
                                                            (nd, rest_nd, rest_theta_nd)):
        centre = (1 - a) * (rest + _smooth_noise(rng, T, 0.05 * u)) + a * centre
        theta = (1 - active) * rest_theta + active * theta
        flex = (1 - a) * rest_flex + a * flex
        spread = (1 - active) * rest_spread + active * spread
        if signer.left_handed:   # mirror the whole canonical sign about the body's centre line
            centre = np.stack([2 * g.cx - centre[:, 0], centre[:, 1]], -1)
            theta = math.pi - theta
        wrist = centre - g.palm * _fingers_dir(theta)
        tracks.append(dict(wrist=wrist, theta=theta, flex=flex, spread=spread))
    dominant = 'left' if signer.left_handed else 'right'
    other = 'right' if dominant == 'left' else 'left'
    mouth = np.clip(mouth_openness(sign, s, active) + rng.normal(0, 0.02, T), 0, 1)
    return {dominant: tracks[0], other: tracks[1]}, mouth, dominant


def synthesize_clip(sign: SignSpec, signer: SignerSpec, size: int, num_frames: int, clutter: float,
                    camera_noise: float, rng: np.random.Generator):
    """Render one clip.

    Returns:
        frames: uint8 (T, H, W, 3) RGB.
        keypoints: float64 (T, 133, 2), the drawn points in pixels (noise-free).
        moving: bool (T, H, W), the pixels of arms, hands and mouth.
    """
    g = body_geometry(signer, size, size)
    background = render_background(signer, size, size, clutter, rng)
    hands, mouth, dominant = hand_tracks(sign, signer, g, num_frames, rng)
    order = ('left', 'right') if dominant == 'right' else ('right', 'left')
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    moving = np.empty((num_frames, size, size), bool)
    kps = np.empty((num_frames, 133, 2))
    static = None
    # Camera noise: a small bank of noise images, shifted differently on every frame (cheap, and
    # uncorrelated enough between frames for a sensor-noise look).
    bank = rng.standard_normal((2, size, size, 3), dtype=np.float32) * camera_noise
    for i in range(num_frames):
        state = {side: {k: v[i] for k, v in h.items()} for side, h in hands.items()}
        kps[i] = wholebody_keypoints(g, state, float(mouth[i]))
        if static is None:
            static = draw_static_body(background, kps[i], g, signer)
        frame, moving[i] = draw_signer(static, kps[i], g, signer, order)
        if camera_noise > 0:
            shift = tuple(int(v) for v in rng.integers(0, size, 2))
            frame = frame + np.roll(bank[i % 2], shift, axis=(0, 1))
        frames[i] = np.clip(frame, 0, 255)
    return frames, kps, moving


def detector_noise(kps: np.ndarray, width: int, height: int, unit: float, keypoint_noise: float,
                   hand_drop_rate: float, rng: np.random.Generator):
    """Turn exact points into what a whole-body detector would output.

    Gaussian jitter (std ``keypoint_noise`` x frame height, 1.5x on hands, plus a shared per-hand shift);
    confidence scores per part; hands dropped (score ~0, coordinates 0) more often while they move fast;
    a few isolated low-score points; points outside the frame get a low score and are clamped to it.

    Args:
        kps: (T, 133, 2) pixels.  unit: one sign unit in pixels (speed reference).
    Returns:
        keypoints (T, 133, 2) normalised to [0, 1] by width / height, scores (T, 133), both float32.
    """
    T = len(kps)
    sigma = keypoint_noise * height
    noisy = kps + rng.normal(0, sigma, kps.shape)
    scores = np.empty((T, 133))
    scores[:, :23] = rng.uniform(0.85, 0.98, (T, 23))
    scores[:, 23:91] = rng.uniform(0.75, 0.95, (T, 68))
    for h0 in (LHAND0, RHAND0):
        sl = slice(h0, h0 + 21)
        noisy[:, sl] += rng.normal(0, 0.5 * sigma, (T, 1, 2)) + rng.normal(0, 0.5 * sigma, (T, 21, 2))
        speed = np.r_[0.0, np.linalg.norm(np.diff(kps[:, h0], axis=0), axis=-1)] / unit
        scores[:, sl] = rng.uniform(0.65, 0.95, (T, 21)) - 0.12 * speed[:, None]
        drop = rng.random(T) < hand_drop_rate + 0.25 * np.clip(speed - 0.6, 0, 1)
        scores[drop, sl] = rng.uniform(0, 0.05, (int(drop.sum()), 21))
        noisy[drop, sl] = 0.0
    weak = rng.random((T, 133)) < 0.02
    scores[weak] = rng.uniform(0.1, 0.3, int(weak.sum()))
    outside = ((kps[..., 0] < 0) | (kps[..., 0] > width - 1) | (kps[..., 1] < 0) | (kps[..., 1] > height - 1))
    scores[outside] = rng.uniform(0, 0.08, int(outside.sum()))
    norm = noisy / np.array([width, height], np.float64)
    return np.clip(norm, 0, 1).astype(np.float32), np.clip(scores, 0, 1).astype(np.float32)
