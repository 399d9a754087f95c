"""SharedFrames: the frames of one view, read lazily from a decode shared by the clip's views."""
import cv2
import numpy as np


class SharedFrames:
    """A view's frames, uint8 (T, H, W, C), as rows ``pos`` of a decoded array shared by the clip's views.

    Why: the views of a clip are cut from one decode, and copying every view's full-resolution frames
    (~200 MB for 32 frames of 1080p) cost more than decoding them. Nothing is copied until a transform
    needs the view's own array: :meth:`crop_resize` (used by the geometric transforms) reads only its
    box of each shared frame; any other use (``np.asarray(x)``, indexing) builds the full-size copy.
    An optional per-view ``mask`` (bool (T, h, w), from ``MotionMask``; another size than the frames'
    is resized nearest-neighbour, as ``MotionMask`` does) multiplies the frames lazily, only inside the
    crop, which gives exactly what masking the full frames and then cropping gave.

    Args:
        source: uint8 (N, H, W, C) decoded frames (made read-only when shared by several views).
        pos: int (T,) rows of ``source`` that form the view, in order.
        mask: optional bool (T, h, w).
    """

    __slots__ = ('source', 'pos', 'mask')

    def __init__(self, source: np.ndarray, pos: np.ndarray, mask=None):
        self.source, self.pos, self.mask = source, np.asarray(pos, np.int64), mask

    @property
    def shape(self):
        return (len(self.pos),) + self.source.shape[1:]

    @property
    def dtype(self):
        return self.source.dtype

    @property
    def ndim(self):
        return self.source.ndim

    def __len__(self):
        return len(self.pos)

    def _frame_mask(self, i: int) -> np.ndarray:
        """uint8 (H, W) 0/1 mask of view frame ``i`` at the frame size (nearest-neighbour, as MotionMask
        resizes masks of another size)."""
        m = self.mask[i].view(np.uint8)
        h, w = self.source.shape[1:3]
        return m if m.shape == (h, w) else cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)

    def _frame(self, i: int, p: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Box of source row ``p`` (view frame ``i``), masked if there is a mask: a view, or a new array."""
        src = self.source[p, y0:y1, x0:x1]
        if self.mask is None:
            return src
        # cv2.bitwise_and with a mask zeroes the pixels outside it: exactly src * mask, ~10x faster.
        return cv2.bitwise_and(src, src, mask=self._frame_mask(i)[y0:y1, x0:x1])

    def __array__(self, dtype=None, copy=None):
        imgs = self.crop_resize((0, 0, self.source.shape[2], self.source.shape[1]))  # own, writeable
        return imgs if dtype is None else imgs.astype(dtype, copy=False)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):  # one frame: no need to build the others
            h, w = self.source.shape[1:3]
            return self._frame(int(key), int(self.pos[key]), 0, 0, w, h).copy()
        return np.asarray(self)[key]

    def with_mask(self, mask: np.ndarray) -> 'SharedFrames':
        """The same frames multiplied by ``mask`` bool (T, h, w) (of any size: resized nearest-neighbour
        to the frames when used), combined with any earlier mask."""
        mask = np.ascontiguousarray(mask, bool)
        if mask.ndim != 3 or len(mask) != len(self.pos):
            raise ValueError(f'SharedFrames: mask of shape {mask.shape} for a view of {len(self.pos)} frames')
        out = SharedFrames(self.source, self.pos, mask)
        if self.mask is not None:  # both at the frame size, then combined
            out.mask = np.stack([self._frame_mask(i) & out._frame_mask(i) for i in range(len(mask))]) > 0
        return out

    def crop_resize(self, box, out_size=None) -> np.ndarray:
        """uint8 (T, h, w, C): frames cropped to ``box`` = (x0, y0, x1, y1) (inside the frame), then
        resized to ``out_size`` (w, h) with ``cv2.INTER_LINEAR`` frame by frame, straight from the shared
        array (``cv2.resize`` reads the strided crop without copying it)."""
        x0, y0, x1, y1 = box
        h, w = self.source.shape[1:3]
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise ValueError(f'SharedFrames.crop_resize: box {box} is outside the {w}x{h} frames')
        if out_size is None and self.mask is None:
            return self.source[self.pos, y0:y1, x0:x1]  # one gather of the boxes
        ow, oh = (x1 - x0, y1 - y0) if out_size is None else out_size
        out = np.empty((len(self.pos), oh, ow) + self.source.shape[3:], self.source.dtype)
        first = {}  # source row -> first output frame (views repeat frames when the span < T)
        for i, p in enumerate(self.pos.tolist()):
            if self.mask is None and p in first:
                out[i] = out[first[p]]
                continue
            first.setdefault(p, i)
            frame = self._frame(i, p, x0, y0, x1, y1)
            if out_size is None:
                out[i] = frame
            else:
                cv2.resize(frame, (ow, oh), dst=out[i], interpolation=cv2.INTER_LINEAR)
        return out

    def __repr__(self):
        return f'SharedFrames(shape={self.shape}, masked={self.mask is not None})'
