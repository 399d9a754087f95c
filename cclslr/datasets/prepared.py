"""Samples read from prepared videos (``tools/data/prepare_videos.py``; ``data_prefix.prepared``).

A prepared file holds source frames [ps, pe) of the original video, cropped to ``crop_box`` and resized
(``cclslr/fileio/video_encode.py``). A sample of the original range [s, e) then reads frames
[s - ps, e - ps) of the prepared file. Pose files still index the original video's frames and its
coordinates, so the sample carries the record for :class:`~cclslr.datasets.transforms.LoadPose`:

* ``source_frame_offset`` = ps: pose frame ``ps + i`` is prepared frame ``i``;
* ``pose_source_frames``: the original's frame count (what the pose file's length is checked against);
* ``prepared_geometry``: ``source_size``, ``crop_box``, ``size``, to map keypoints into the prepared frame
  (``keypoints_to_prepared``).

A motion-mask cache indexes the frames of the video files it was made from: make it from the prepared
files (``tools/mpm/generate_masks.py`` on the config with ``data_prefix.prepared``).
"""
import os.path as osp

from cclslr.fileio.video_encode import INDEX_NAME


def to_prepared(info: dict, record: dict, root: str) -> dict:
    """The sample ``info`` (base-dataset contract) reading the prepared file of ``record`` under ``root``.

    Raises:
        ValueError naming the index when the prepared file does not hold the sample's whole range.
    """
    start, end = info['frame_start'], info['frame_end']
    ps, pe, total = record['frame_start'], record['frame_end'], record['source_frames']
    end = total if end < 0 else min(end, total)  # as DecordInit clips overshooting WLASL ends
    if start < ps or end > pe or start >= end:
        raise ValueError(f'{osp.join(root, INDEX_NAME)}: sample {info["sample_id"]!r} needs source frames '
                         f'[{start}, {end}) of a {total}-frame video, its prepared file holds [{ps}, {pe}): '
                         'prepare it again (tools/data/prepare_videos.py)')
    out = dict(info, video_path=osp.join(root, record['file']), frame_start=start - ps, frame_end=end - ps,
               source_frame_offset=ps, pose_source_frames=total,
               prepared_geometry=dict(source_size=list(record['source_size']),
                                      crop_box=list(record['crop_box']), size=list(record['size'])))
    sw, sh = record['source_size']
    if list(record['crop_box']) != [0, 0, sw, sh]:  # the prepared frame is the signer box already
        out.pop('box', None)
        out.pop('crop_to_box', None)
    return out
