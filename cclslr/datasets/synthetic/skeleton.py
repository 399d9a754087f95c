"""The 133 COCO-WholeBody keypoints of one frame, constructed from a signer's body and hand states.

Index layout (0-based, see ``cclslr/structures/keypoint_layout.py``): body 0-16, feet 17-22, face 23-90
(the 68-point face: jaw 23-39, brows 40-49, nose 50-58 with the tip at 53, eyes 59-70, outer lips 71-82,
inner lips 83-90), left hand 91-111, right hand 112-132. "Left" is the signer's left, which is on the
image right for a front-facing signer. The renderer draws exactly these points, so the pose file is the
ground truth of the picture (before the detector-like noise ``clip.py`` adds).
"""
import math

import numpy as np

from .signer import BodyGeometry

FACE0, LHAND0, RHAND0 = 23, 91, 112
# Hand point groups (21-point hand): 0 wrist, 1-4 thumb (CMC, MCP, IP, tip), 5-8 index, 9-12 middle,
# 13-16 ring, 17-20 pinky (knuckle, two joints, tip).
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
CHIRALITY = {'right': 1.0, 'left': -1.0}  # thumb side: the right hand's thumb is on rot90(d)

_KNUCKLE_ALONG = np.array([0.96, 1.0, 0.96, 0.86])
_KNUCKLE_ACROSS = np.array([0.32, 0.1, -0.12, -0.32])
_FINGER_FAN = np.array([0.22, 0.05, -0.12, -0.3])
_FINGER_REST = np.array([0.04, 0.0, -0.03, -0.08])
_FINGER_LEN = np.array([0.93, 1.0, 0.93, 0.75])
_SEGMENT = np.array([0.45, 0.3, 0.25])
_JOINT_BEND = np.array([1.4, 1.65, 1.2])   # radians of bend per joint at full flexion


def _rot90(v):
    return np.array([-v[1], v[0]])


def hand_points(wrist, theta: float, flex, spread: float, palm: float, finger: float,
                chirality: float) -> np.ndarray:
    """21 hand points (21, 2) in pixels.

    The palm faces the camera; a finger's flexion bends it towards the camera, so its projection
    shortens and then folds back over the palm (a fist shows the fingers lying on the palm).

    Args:
        wrist: (2,) wrist position.
        theta: direction wrist -> middle knuckle (radians, image coordinates, y down).
        flex: (5,) flexion of thumb, index, middle, ring, pinky in [0, 1].
        spread: fan-out of the fingers in [0, 1].
        chirality: +1 right hand, -1 left hand (mirror images of each other).
    """
    wrist = np.asarray(wrist, np.float64)
    d = np.array([math.cos(theta), math.sin(theta)])
    n = chirality * _rot90(d)
    pts = np.zeros((21, 2))
    pts[0] = wrist
    bend = np.cumsum(np.asarray(flex, np.float64)[1:, None] * _JOINT_BEND[None], axis=1)   # (4, 3)
    for i in range(4):
        knuckle = wrist + palm * (_KNUCKLE_ALONG[i] * d + _KNUCKLE_ACROSS[i] * n)
        a = _FINGER_REST[i] + spread * _FINGER_FAN[i]
        direction = math.cos(a) * d + math.sin(a) * n
        steps = finger * _FINGER_LEN[i] * _SEGMENT * np.cos(bend[i])
        chain = knuckle + np.cumsum(steps)[:, None] * direction
        base = 5 + 4 * i
        pts[base] = knuckle
        pts[base + 1:base + 4] = chain
    # Thumb: sticks out sideways; flexing swings it across the palm and shortens it.
    ft = float(flex[0])
    a = 0.75 + 0.35 * spread - 1.6 * ft
    direction = math.cos(a) * d + math.sin(a) * n
    cmc = wrist + palm * (0.22 * d + 0.28 * n)
    steps = finger * np.array([0.38, 0.32, 0.27]) * (1.0 - 0.35 * ft)
    pts[1] = cmc
    pts[2:5] = cmc + np.cumsum(steps)[:, None] * direction
    return pts


def arm_elbow(shoulder, wrist, upper: float, fore: float, outward):
    """Two-link inverse kinematics.

    Returns (elbow, wrist): the wrist is pulled back inside the arm's reach if needed; of the two
    elbow solutions the one further along ``outward`` (away from the body and down) is kept.
    """
    shoulder, wrist = np.asarray(shoulder, np.float64), np.asarray(wrist, np.float64)
    v = wrist - shoulder
    dist = float(np.linalg.norm(v))
    u = v / dist if dist > 1e-6 else np.array([0.0, 1.0])
    dist = float(np.clip(dist, abs(upper - fore) + 1e-3, 0.985 * (upper + fore)))
    wrist = shoulder + dist * u
    cos_a = (upper ** 2 + dist ** 2 - fore ** 2) / (2 * upper * dist)
    a = math.acos(float(np.clip(cos_a, -1.0, 1.0)))
    cands = []
    for sgn in (1.0, -1.0):
        c, s = math.cos(sgn * a), math.sin(sgn * a)
        cands.append(shoulder + upper * np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]]))
    elbow = max(cands, key=lambda e: float(np.dot(e - shoulder, outward)))
    return elbow, wrist


def face_points(g: BodyGeometry, mouth_open: float) -> np.ndarray:
    """The 68 face points (68, 2) in 300-W order (0 = jaw point on the image left)."""
    hx, hy, rx, ry = g.head_x, g.head_y, g.head_rx, g.head_ry
    f = np.zeros((68, 2))
    phi = math.pi - math.pi * np.arange(17) / 16          # jaw from the image-left ear round the chin
    f[0:17] = np.stack([hx + 0.95 * rx * np.cos(phi), hy + 0.95 * ry * np.sin(phi)], -1)
    for side, start in ((-1, 17), (1, 22)):               # brows, each listed left to right
        xs = np.linspace(0.75, 0.15, 5) if side < 0 else np.linspace(0.15, 0.75, 5)
        f[start:start + 5] = np.stack([hx + side * xs * rx, hy - ry * (0.3 + 0.06 * np.sin(np.pi * xs))], -1)
    f[27:31] = np.stack([np.full(4, hx), hy + ry * np.linspace(-0.2, 0.2, 4)], -1)   # bridge, tip = 30
    f[31:36] = np.stack([hx + rx * np.linspace(-0.2, 0.2, 5), np.full(5, hy + 0.28 * ry)], -1)
    for side, start in ((-1, 36), (1, 42)):                # eyes: corner, two upper, corner, two lower
        ex, ey, ew, eh = hx + side * 0.42 * rx, hy - 0.1 * ry, 0.17 * rx, 0.06 * ry
        f[start:start + 6] = [(ex - ew, ey), (ex - ew / 3, ey - eh), (ex + ew / 3, ey - eh),
                              (ex + ew, ey), (ex + ew / 3, ey + eh), (ex - ew / 3, ey + eh)]
    # Mouth: the lower lip drops as the mouth opens; the upper lip moves a little.
    mx, my, mw = hx, hy + 0.55 * ry, 0.38 * rx
    gap = float(np.clip(mouth_open, 0.0, 1.0)) * 0.3 * ry
    up_in, lo_in = my - 0.2 * gap, my + 0.8 * gap
    up_out, lo_out = up_in - 0.09 * ry, lo_in + 0.1 * ry
    xs5 = mx + mw * np.array([-0.6, -0.3, 0.0, 0.3, 0.6])
    f[48], f[54] = (mx - mw, my + 0.3 * gap), (mx + mw, my + 0.3 * gap)
    f[49:54] = np.stack([xs5, up_out + np.array([0.3, 0, 0.1, 0, 0.3]) * 0.05 * ry], -1)
    f[55:60] = np.stack([xs5[::-1], np.full(5, lo_out) - np.array([0.3, 0, 0, 0, 0.3]) * 0.05 * ry], -1)
    xs3 = mx + mw * np.array([-0.4, 0.0, 0.4])
    f[60], f[64] = (mx - 0.8 * mw, my + 0.3 * gap), (mx + 0.8 * mw, my + 0.3 * gap)
    f[61:64] = np.stack([xs3, np.full(3, up_in)], -1)
    f[65:68] = np.stack([xs3[::-1], np.full(3, lo_in)], -1)
    return f


def wholebody_keypoints(g: BodyGeometry, hands: dict, mouth_open: float) -> np.ndarray:
    """All 133 points (133, 2) in pixels for one frame.

    Args:
        hands: ``{'left': h, 'right': h}`` with ``h = dict(wrist=(2,), theta=float, flex=(5,),
            spread=float)``: COCO's left / right hand (the signer's own sides). The wrist is a target
            that the arm's reach may shorten.
        mouth_open: mouth opening in [0, 1].
    """
    kp = np.zeros((133, 2))
    face = face_points(g, mouth_open)
    kp[FACE0:FACE0 + 68] = face
    kp[0] = face[30]
    kp[1], kp[2] = face[42:48].mean(0), face[36:42].mean(0)          # left eye is on the image right
    kp[3], kp[4] = (g.head_x + g.head_rx, g.head_y - 0.05 * g.head_ry), (g.head_x - g.head_rx,
                                                                            g.head_y - 0.05 * g.head_ry)
    u = g.unit
    for side, sx, (sh, el, wr, hip, knee, ankle), hand0 in (
            ('left', 1.0, (5, 7, 9, 11, 13, 15), LHAND0), ('right', -1.0, (6, 8, 10, 12, 14, 16), RHAND0)):
        shoulder = np.array([g.cx + sx * g.shoulder_hw, g.shoulder_y])
        h = hands[side]
        elbow, wrist = arm_elbow(shoulder, h['wrist'], g.upper_arm, g.forearm, np.array([0.5 * sx, 1.0]))
        kp[sh], kp[el], kp[wr] = shoulder, elbow, wrist
        kp[hand0:hand0 + 21] = hand_points(wrist, h['theta'], h['flex'], h['spread'], g.palm, g.finger,
                                           CHIRALITY[side])
        # Legs are below the frame (upper-body recordings); they are kept for a complete 133 layout.
        kp[hip] = (g.cx + sx * 0.65 * g.shoulder_hw, g.shoulder_y + 4.6 * u)
        kp[knee] = (g.cx + sx * 0.7 * g.shoulder_hw, g.shoulder_y + 8.6 * u)
        kp[ankle] = (g.cx + sx * 0.7 * g.shoulder_hw, g.shoulder_y + 12.6 * u)
        feet = 17 if side == 'left' else 20                     # big toe, small toe, heel
        kp[feet:feet + 3] = kp[ankle] + np.array([[sx * 0.2 * u, 0.9 * u], [sx * 0.6 * u, 0.8 * u],
                                                  [0.0, 0.3 * u]])
    return kp
