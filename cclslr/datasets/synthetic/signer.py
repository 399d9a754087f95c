"""Signers: appearance, body geometry, signing style.

Each signer has a body size and position in the frame, skin / clothing / hair colours, a signing speed,
a handedness and an amount of trajectory noise, plus a seed for their own background ("room"), so that
signer identity is visible in RGB but irrelevant to the sign.
"""
from dataclasses import asdict, dataclass

import numpy as np

# Realistic skin tones, light to dark (RGB).
SKIN_TONES = ((247, 220, 196), (236, 192, 160), (224, 172, 128), (198, 138, 96), (160, 105, 70),
              (120, 78, 52), (88, 58, 40))
HAIR_COLOURS = ((30, 24, 20), (70, 45, 30), (120, 85, 50), (200, 170, 110), (150, 150, 150))

MIN_COLOUR_DISTANCE = 90.0  # RGB distance kept between skin and anything else that is drawn


def colour_distance(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def random_colour_away_from(rng: np.random.Generator, avoid, min_dist=MIN_COLOUR_DISTANCE):
    """A random RGB colour at least ``min_dist`` from every colour in ``avoid``."""
    for _ in range(200):
        c = rng.integers(0, 256, size=3)
        if all(colour_distance(c, a) >= min_dist for a in avoid):
            return tuple(int(v) for v in c)
    # Fall back to the colour farthest from the first avoided colour (never reached in practice).
    return tuple(int(255 - v) for v in avoid[0])


@dataclass
class SignerSpec:
    signer_id: int
    scale: float          # body size relative to the frame
    shift_x: float        # body centre offset, fraction of frame width
    shift_y: float        # fraction of frame height
    skin: tuple
    clothes: tuple
    hair: tuple
    speed: float          # > 1: signs faster (shorter clips)
    left_handed: bool
    traj_noise: float     # smooth trajectory noise, sign units
    background_seed: int

    def to_dict(self):
        d = asdict(self)
        d['skin'], d['clothes'], d['hair'] = list(self.skin), list(self.clothes), list(self.hair)
        return d


def random_signer(signer_id: int, variability: float, rng: np.random.Generator) -> SignerSpec:
    """Draw a signer; ``variability`` in [0, 1] scales how much signers differ from an average one."""
    if not 0.0 <= variability <= 1.0:
        raise ValueError(f'signer_variability must be in [0, 1], got {variability}')
    v = variability
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    return SignerSpec(
        signer_id=signer_id,
        scale=float(1.0 + v * rng.uniform(-0.15, 0.12)),
        shift_x=float(v * rng.uniform(-0.12, 0.12)),
        shift_y=float(v * rng.uniform(-0.06, 0.06)),
        skin=skin,
        clothes=random_colour_away_from(rng, [skin]),
        hair=HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))],
        speed=float(np.exp(v * rng.uniform(-0.25, 0.25))),
        left_handed=bool(rng.random() < 0.3 * v),
        traj_noise=float(0.05 + 0.25 * v * rng.random()),
        background_seed=int(rng.integers(2 ** 31)))


@dataclass
class BodyGeometry:
    """Static body of one signer in pixels (canonical, i.e. not mirrored)."""
    cx: float
    shoulder_y: float
    shoulder_hw: float    # half the shoulder width
    head_x: float
    head_y: float
    head_rx: float
    head_ry: float
    unit: float           # one sign unit in pixels
    upper_arm: float
    forearm: float
    palm: float           # wrist -> middle knuckle
    finger: float         # middle finger length
    arm_width: float
    finger_width: float


def body_geometry(signer: SignerSpec, width: int, height: int) -> BodyGeometry:
    h, s = float(height), signer.scale
    cx = width * (0.5 + signer.shift_x)
    shoulder_y = h * (0.47 + signer.shift_y)
    head_ry = 0.125 * h * s
    return BodyGeometry(
        cx=cx, shoulder_y=shoulder_y, shoulder_hw=0.2 * h * s,
        head_x=cx, head_y=shoulder_y - 0.25 * h * s, head_rx=0.095 * h * s, head_ry=head_ry,
        unit=0.1 * h * s, upper_arm=0.25 * h * s, forearm=0.24 * h * s,
        palm=0.075 * h * s, finger=0.068 * h * s,
        arm_width=0.075 * h * s, finger_width=0.02 * h * s)
