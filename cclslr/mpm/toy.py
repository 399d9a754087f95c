"""A toy clip with a known moving region, for tests and for the quality check when no synthetic
dataset generator is available: a textured static background with a square moving across it."""
import numpy as np


def moving_square_clip(num_frames: int = 8, height: int = 64, width: int = 64, square: int = 16,
                       seed: int = 0):
    """Returns (frames uint8 (T, H, W, 3) RGB, true moving region bool (T, H, W))."""
    rng = np.random.default_rng(seed)
    # Blocky texture: static detail that a pixel-noise detector would not confuse with motion.
    tex = rng.integers(40, 215, size=(height // 4 + 1, width // 4 + 1, 3), dtype=np.uint8)
    background = np.kron(tex, np.ones((4, 4, 1), dtype=np.uint8))[:height, :width]
    colour = rng.integers(0, 256, size=3, dtype=np.uint8)
    frames = np.repeat(background[None], num_frames, axis=0)
    truth = np.zeros((num_frames, height, width), dtype=bool)
    for t in range(num_frames):
        x = int(round((width - square) * t / max(num_frames - 1, 1)))
        y = int(round((height - square) * (0.5 + 0.4 * np.sin(2 * np.pi * t / max(num_frames, 2)))))
        y = min(max(y, 0), height - square)
        frames[t, y:y + square, x:x + square] = colour
        truth[t, y:y + square, x:x + square] = True
    return frames, truth

