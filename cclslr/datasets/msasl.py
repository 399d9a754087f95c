"""MS-ASL (Joze & Koller, BMVC 2019), read from the official ``MSASL_{split}.json`` files."""
import math
import re
from typing import List

from cclslr.registry import DATASETS
from .base import BaseISLRDataset
from .wlasl import field, load_json

MSASL_SUBSETS = (100, 200, 500, 1000)
VIDEO_LAYOUTS = ('clip', 'youtube')
_YT_ID = re.compile(r'(?:v=|youtu\.be/|/embed/|/v/)([A-Za-z0-9_-]{11})')


def youtube_id(url: str) -> str:
    """The 11-character YouTube id of ``url`` (with or without scheme)."""
    match = _YT_ID.search(url)
    if match is None:
        raise ValueError(f'cannot find a YouTube id in url {url!r}')
    return match.group(1)


@DATASETS.register_module()
class MSASLDataset(BaseISLRDataset):
    """MS-ASL-K: the rows of one ``MSASL_{split}.json`` with ``label < K``.

    Several clips are cut from one YouTube video, so ``sample_id = '<youtube id>_<start>_<end>'``; the
    official files list a few clips twice (same video, frames and label, different ``file``): the second
    copy gets the suffix ``_dup1`` so ids stay unique and both rows count, as in the official split sizes.

    Video naming (``video_layout``):

    * ``'clip'`` (default): one trimmed file per clip, ``<sample_id><video_ext>``; the sample covers the
      whole file (frame range [0, -1)).
    * ``'youtube'``: one file per YouTube video, ``<youtube id><video_ext>``; the sample covers the
      annotated frames [start, end) of it (frame numbers are at the annotated fps; download at that fps).

    Pose files are named like the video files with ``pose_ext``.

    Args:
        subset: 100, 200, 500 or 1000.
        crop_to_box: crop frames (and shift keypoints) to the annotated signer box at decode time. The box
            is stored as ``[x0, y0, x1, y1]`` (0-1) whatever the flag; the json's order is [y0, x0, y1, x1].
        video_layout: ``'clip'`` or ``'youtube'`` (see above).
        video_ext: extension of the video files.
    """

    def __init__(self, ann_file: str, subset: int = 1000, crop_to_box: bool = False,
                 video_layout: str = 'clip', video_ext: str = '.mp4', **kwargs):
        if subset not in MSASL_SUBSETS:
            raise ValueError(f'MSASLDataset: subset must be one of {MSASL_SUBSETS}, got {subset!r}')
        if video_layout not in VIDEO_LAYOUTS:
            raise ValueError(f'MSASLDataset: video_layout must be one of {VIDEO_LAYOUTS}, '
                             f'got {video_layout!r}')
        self.subset, self.crop_to_box = subset, crop_to_box
        self.video_layout, self.video_ext = video_layout, video_ext
        super().__init__(ann_file=ann_file, **kwargs)

    def load_annotations(self) -> List[dict]:
        rows = load_json(self.ann_file)
        if not isinstance(rows, list):
            raise ValueError(f'{self.ann_file}: MS-ASL json must be a list of rows, got '
                             f'{type(rows).__name__}')
        samples, counts = [], {}
        for i, row in enumerate(rows):
            try:
                sample = self._sample(row, counts)
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f'{self.ann_file}: row {i}: {type(e).__name__}: {e}') from e
            if sample is not None:
                samples.append(sample)
        if not samples:  # MMEngine cannot build an empty dataset and says so without naming the file
            raise ValueError(f'{self.ann_file}: no row with a label below {self.subset}')
        return samples

    def _sample(self, row: dict, counts: dict):
        """The sample of one json row, or None when its label is outside the subset."""
        label = field(row, 'label', int)
        if label >= self.subset:
            return None
        yt = youtube_id(field(row, 'url', str))
        start, end = field(row, 'start', int), field(row, 'end', int)
        # One official train row (xfVNJxKWqeg, 'right') has start == end: keep it as a 1-frame clip.
        end = max(end, start + 1)
        base_id = f'{yt}_{start}_{end}'
        n = counts.get(base_id, 0)
        counts[base_id] = n + 1
        sample_id = base_id if n == 0 else f'{base_id}_dup{n}'
        box = field(row, 'box', list)
        if len(box) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                    and math.isfinite(v) and 0 <= v <= 1 for v in box):
            raise ValueError(f'box must be 4 numbers in [0, 1], got {box!r}')
        y0, x0, y1, x1 = (float(v) for v in box)
        sample = dict(label=label, sample_id=sample_id, signer_id=field(row, 'signer_id', int),
                      box=[x0, y0, x1, y1], crop_to_box=self.crop_to_box,
                      # The video's frame size: makes the pose box square for 0-1 keypoints (LoadPose).
                      width=row.get('width'), height=row.get('height'))
        if self.video_layout == 'clip':
            sample.update(video=f'{sample_id}{self.video_ext}', frame_start=0, frame_end=-1)
        else:
            sample.update(video=f'{yt}{self.video_ext}', pose=None, frame_start=start, frame_end=end)
        return sample
