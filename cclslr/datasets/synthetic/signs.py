"""The vocabulary of synthetic signs: hand shapes, locations, trajectories, mouth patterns.

A sign (:class:`SignSpec`) is written for a right-handed signer in *canonical* image coordinates: the
dominant hand is the signer's right hand, which appears on the image LEFT (COCO-WholeBody ``right_hand``,
points 112-132). Left-handed signers mirror it (see ``clip.py``).

Positions are produced in "sign units" relative to a location anchor; ``clip.py`` turns units into pixels
with the signer's body geometry (one unit = 0.1 x frame height x signer scale).
"""
import math
from dataclasses import asdict, dataclass

import numpy as np

# Finger flexion (thumb, index, middle, ring, pinky; 0 = straight, 1 = curled into the palm) and spread
# (0 = fingers together, 1 = fanned out). Real ASL handshapes, reduced to what a 2D front view shows.
HANDSHAPES = {
    'flat': ((0.3, 0.0, 0.0, 0.0, 0.0), 0.0),   # B
    'five': ((0.0, 0.0, 0.0, 0.0, 0.0), 1.0),   # 5
    'fist': ((0.6, 1.0, 1.0, 1.0, 1.0), 0.0),   # S
    'point': ((0.8, 0.0, 1.0, 1.0, 1.0), 0.2),  # 1
    'vee': ((0.8, 0.0, 0.0, 1.0, 1.0), 0.7),    # V
    'why': ((0.0, 1.0, 1.0, 1.0, 0.0), 0.8),    # Y
    'ell': ((0.0, 0.0, 1.0, 1.0, 1.0), 0.6),    # L
    'claw': ((0.4, 0.5, 0.5, 0.5, 0.5), 0.8),   # claw-5
    'oh': ((0.5, 0.6, 0.6, 0.6, 0.6), 0.0),     # O
    'bent': ((0.3, 0.45, 0.45, 0.45, 0.45), 0.1),
    'three': ((0.0, 0.0, 0.0, 1.0, 1.0), 0.6),  # 3
}
SHAPE_NAMES = tuple(HANDSHAPES)
REST_SHAPE = ((0.35, 0.3, 0.3, 0.35, 0.4), 0.15)

# Anchors of the dominant hand's centre (middle-finger knuckle): (reference, dx, dy). Reference 'head' is
# offset in head radii (rx, ry), 'torso' in (shoulder half-width, sign units). Negative x = image left =
# the dominant side of a right-handed signer.
LOCATIONS = {
    'forehead': ('head', -0.15, -0.55),
    'eye': ('head', -0.5, -0.1),
    'cheek': ('head', -0.95, 0.35),
    'mouth': ('head', 0.0, 0.6),
    'chin': ('head', 0.0, 1.2),
    'chest': ('torso', 0.0, 1.0),
    'chest_side': ('torso', -0.55, 0.8),
    'neutral': ('torso', -0.45, 1.8),
    'shoulder': ('torso', -0.9, 0.3),
    'side': ('torso', -1.45, 0.9),
}
LOCATION_NAMES = tuple(LOCATIONS)

TRAJECTORIES = ('circle', 'line', 'shake', 'arc', 'tap', 'hold', 'wave')
# How the non-dominant hand takes part: resting, mirror in phase, mirror half a cycle later, or a static
# base hand under the dominant one.
HAND_MODES = ('one', 'sym', 'alt', 'base')
MOUTH_PATTERNS = ('closed', 'open', 'pulse', 'late', 'early')


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass
class SignSpec:
    """One class. Angles in radians in image coordinates (y down); sizes in sign units."""
    mode: str
    traj: str
    loc: str
    size: float
    angle: float          # direction of a line / start angle of a circle or arc
    cycles: int
    turn: int             # +1 / -1: direction of circles and arcs
    shape0: str
    shape1: str           # hand shape at the end of the sign (== shape0: no change)
    orient0: float        # direction wrist -> fingers at the start (-pi/2 = fingers up)
    orient1: float
    mouth: str
    mouth_cycles: int

    def signature(self):
        """The discrete parts; two classes with the same signature would be the same sign."""
        return (self.mode, self.traj, self.loc, self.shape0, self.shape1, self.mouth)

    def name(self, index: int) -> str:
        return f'{index:03d}_{self.traj}_{self.loc}'

    def to_dict(self):
        return asdict(self)


def random_sign(rng: np.random.Generator) -> SignSpec:
    """Draw an independent random sign."""
    shape0 = str(rng.choice(SHAPE_NAMES))
    shape1 = shape0 if rng.random() < 0.6 else str(rng.choice(SHAPE_NAMES))
    orient0 = -math.pi / 2 + rng.uniform(-0.7, 0.5)
    orient1 = orient0 if rng.random() < 0.6 else orient0 + rng.choice([-1, 1]) * rng.uniform(0.5, 1.1)
    return SignSpec(
        mode=str(rng.choice(HAND_MODES, p=[0.5, 0.2, 0.15, 0.15])),
        traj=str(rng.choice(TRAJECTORIES)),
        loc=str(rng.choice(LOCATION_NAMES)),
        size=float(rng.uniform(0.6, 1.6)),
        angle=float(rng.uniform(-math.pi, math.pi)),
        cycles=int(rng.integers(1, 3)),
        turn=int(rng.choice([-1, 1])),
        shape0=shape0, shape1=shape1,
        orient0=float(orient0), orient1=float(orient1),
        mouth=str(rng.choice(MOUTH_PATTERNS)),
        mouth_cycles=int(rng.integers(1, 4)))


def blend_sign(proto: SignSpec, own: SignSpec, similarity: float, rng: np.random.Generator) -> SignSpec:
    """Make a class that shares ``proto``'s parts with probability ``similarity``.

    Discrete parts are taken from ``proto`` with probability ``similarity``; continuous parts are
    interpolated towards it (at most 80 %, so classes keep small differences in detail).
    """
    out = {}
    w = 0.8 * similarity
    for key, own_v in own.to_dict().items():
        proto_v = getattr(proto, key)
        if isinstance(own_v, float):
            out[key] = float((1 - w) * own_v + w * proto_v)
        else:
            out[key] = proto_v if rng.random() < similarity else own_v
    return SignSpec(**out)


def make_vocabulary(num_classes: int, similarity: float, rng: np.random.Generator):
    """``num_classes`` signs with distinct signatures; similar to a shared prototype by ``similarity``."""
    if not 0.0 <= similarity <= 1.0:
        raise ValueError(f'similarity must be in [0, 1], got {similarity}')
    proto = random_sign(rng)
    signs, seen = [], set()
    discrete = ('mode', 'traj', 'loc', 'shape0', 'shape1', 'mouth')
    for _ in range(num_classes):
        for _attempt in range(50):
            sign = blend_sign(proto, random_sign(rng), similarity, rng)
            if sign.signature() not in seen:
                break
        else:
            # Very high similarity: force one discrete part to differ until the signature is new.
            while sign.signature() in seen:
                key = discrete[int(rng.integers(len(discrete)))]
                setattr(sign, key, getattr(random_sign(rng), key))
        seen.add(sign.signature())
        signs.append(sign)
    return signs


def trajectory(sign: SignSpec, s: np.ndarray) -> np.ndarray:
    """Offset of the dominant hand from its anchor, in sign units.

    Args:
        s: (T,) sign phase in [0, 1].
    Returns:
        (T, 2) offsets (x, y).
    """
    s = np.asarray(s, dtype=np.float64)
    k, r = sign.cycles, 0.5 * sign.size
    d = np.array([math.cos(sign.angle), math.sin(sign.angle)])
    perp = np.array([-d[1], d[0]])
    if sign.traj == 'circle':
        phi = sign.angle + sign.turn * 2 * math.pi * k * s
        return r * np.stack([np.cos(phi), np.sin(phi)], -1)
    if sign.traj == 'line':   # one smooth stroke
        return sign.size * (smoothstep(s) - 0.5)[:, None] * d
    if sign.traj == 'shake':  # back and forth k + 1 times
        return sign.size * 0.5 * np.sin(2 * math.pi * (k + 1) * s)[:, None] * d
    if sign.traj == 'arc':
        phi = sign.angle + sign.turn * math.pi * smoothstep(s)
        return r * np.stack([np.cos(phi), np.sin(phi)], -1)
    if sign.traj == 'tap':    # touches the anchor k + 1 times, from the direction d
        return sign.size * 0.6 * np.abs(np.sin(math.pi * (k + 1) * s))[:, None] * d
    if sign.traj == 'hold':   # nearly still; the hand shape and orientation carry the sign
        return 0.12 * sign.size * np.sin(2 * math.pi * 2 * s)[:, None] * d
    if sign.traj == 'wave':
        side = 0.3 * sign.size * np.sin(2 * math.pi * k * s)
        return (sign.size * (s - 0.5))[:, None] * d + side[:, None] * perp
    raise ValueError(f'unknown trajectory {sign.traj!r}; choose from {TRAJECTORIES}')


def hand_shape(sign: SignSpec, s: np.ndarray):
    """Finger flexion (T, 5) and spread (T,) along the sign; a change happens around mid-sign."""
    f0, sp0 = HANDSHAPES[sign.shape0]
    f1, sp1 = HANDSHAPES[sign.shape1]
    w = smoothstep((np.asarray(s) - 0.3) / 0.4)[:, None]
    flex = (1 - w) * np.asarray(f0) + w * np.asarray(f1)
    spread = (1 - w[:, 0]) * sp0 + w[:, 0] * sp1
    return flex, spread


def orientation(sign: SignSpec, s: np.ndarray) -> np.ndarray:
    """(T,) direction wrist -> fingers, radians."""
    w = smoothstep((np.asarray(s) - 0.2) / 0.6)
    return (1 - w) * sign.orient0 + w * sign.orient1


def mouth_openness(sign: SignSpec, s: np.ndarray, active: np.ndarray) -> np.ndarray:
    """(T,) mouth opening in [0, 1]; ``active`` (T,) in [0, 1] fades the pattern in and out."""
    s = np.asarray(s)
    k = sign.mouth_cycles
    if sign.mouth == 'closed':
        o = np.zeros_like(s)
    elif sign.mouth == 'open':
        o = np.full_like(s, 0.7)
    elif sign.mouth == 'pulse':
        o = 0.8 * 0.5 * (1 - np.cos(2 * math.pi * k * s))
    elif sign.mouth == 'late':
        o = 0.8 * smoothstep((s - 0.55) / 0.3)
    elif sign.mouth == 'early':
        o = 0.8 * (1 - smoothstep((s - 0.2) / 0.3))
    else:
        raise ValueError(f'unknown mouth pattern {sign.mouth!r}; choose from {MOUTH_PATTERNS}')
    return 0.05 + 0.95 * o * np.asarray(active)
