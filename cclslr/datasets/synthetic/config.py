"""Settings of the synthetic dataset generator, and its presets."""
from dataclasses import asdict, dataclass, fields
from typing import Optional, Tuple

GENERATOR_VERSION = 1


@dataclass
class SyntheticConfig:
    """Everything that defines a synthetic dataset (besides the seed).

    Difficulty knobs: ``num_classes``; ``similarity`` in [0, 1] (classes share trajectory, location,
    hand shapes and mouth pattern with a common prototype and differ in smaller details);
    ``keypoint_noise`` (pose jitter, fraction of frame height); ``hand_drop_rate`` (missed hands);
    ``clutter`` in [0, 1] (background texture and objects); ``signer_variability`` in [0, 1] (body
    size, position, speed, handedness, trajectory noise); ``camera_noise`` (pixel noise std, 0-255).
    """
    num_classes: int = 10
    num_signers: int = 8
    num_reps: int = 3
    size: int = 112
    fps: int = 25
    min_frames: int = 32
    max_frames: int = 48
    similarity: float = 0.5
    keypoint_noise: float = 0.004
    hand_drop_rate: float = 0.03
    clutter: float = 0.5
    signer_variability: float = 0.6
    camera_noise: float = 2.0
    val_signers: Optional[Tuple[int, ...]] = None    # None: the signer before the test signers
    test_signers: Optional[Tuple[int, ...]] = None   # None: the last one (S < 8) or two signers
    with_motion_gt: bool = False

    def __post_init__(self):
        for key in ('num_classes', 'num_signers', 'num_reps'):
            if getattr(self, key) < 1:
                raise ValueError(f'{key} must be >= 1, got {getattr(self, key)}')
        if self.size < 32:
            raise ValueError(f'size must be >= 32 pixels, got {self.size}')
        if not 2 <= self.min_frames <= self.max_frames:
            raise ValueError(f'need 2 <= min_frames <= max_frames, got {self.min_frames}, {self.max_frames}')
        for key in ('similarity', 'clutter', 'signer_variability', 'hand_drop_rate'):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ValueError(f'{key} must be in [0, 1], got {getattr(self, key)}')
        for key in ('val_signers', 'test_signers'):
            v = getattr(self, key)
            if v is not None:
                v = tuple(int(i) for i in v)
                bad = [i for i in v if not 0 <= i < self.num_signers]
                if bad:
                    raise ValueError(f'{key} {bad} out of range for {self.num_signers} signers')
                setattr(self, key, v)

    def splits(self):
        """``{signer_id: 'train' | 'val' | 'test'}``; a signer is in exactly one split."""
        S = self.num_signers
        test = self.test_signers
        if test is None:
            test = tuple(range(S - (2 if S >= 8 else 1), S)) if S >= 3 else ()
        val = self.val_signers
        if val is None:
            val = (min(test) - 1,) if S >= 3 else ()
        both = set(val) & set(test)
        if both:
            raise ValueError(f'signers {sorted(both)} are in both val_signers and test_signers')
        out = {i: 'train' for i in range(S)}
        out.update({i: 'val' for i in val})
        out.update({i: 'test' for i in test})
        if 'train' not in out.values():
            raise ValueError('no signer left for the train split')
        return out

    def to_dict(self):
        d = asdict(self)
        for key in ('val_signers', 'test_signers'):
            d[key] = None if d[key] is None else list(d[key])
        return d


PRESETS = {
    # The demo's default: 10 classes x 8 signers x 3 repetitions = 240 clips. Distinct signs (similarity
    # 0.1) on lightly cluttered backgrounds (0.2), so that the demo's small RGB encoder has something it
    # can learn on unseen signers (the defaults 0.5 / 0.5 leave it little; docs/notes/demo_experiments.md).
    'demo': dict(similarity=0.1, clutter=0.2),
    # For tests: a few seconds.
    'tiny': dict(num_classes=4, num_signers=4, num_reps=2, size=64, min_frames=16, max_frames=24),
    # A harder, larger set for experiments.
    'large': dict(num_classes=50, num_signers=12, num_reps=4, size=112, min_frames=32, max_frames=64,
                  similarity=0.6),
}


def build_config(preset: str = 'demo', **overrides) -> SyntheticConfig:
    """The preset's settings with ``overrides`` applied; unknown keys raise a ValueError naming them."""
    if preset not in PRESETS:
        raise ValueError(f'unknown preset {preset!r}; choose from {sorted(PRESETS)}')
    names = {f.name for f in fields(SyntheticConfig)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f'unknown synthetic-data option(s) {unknown}; valid options: {sorted(names)}')
    return SyntheticConfig(**{**PRESETS[preset], **overrides})
