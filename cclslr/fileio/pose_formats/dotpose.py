"""``.pose`` files of the sign-language-processing ecosystem (the ``pose-format`` package), format name
``'pose_format'``, extension ``.pose``; read and written.

A ``.pose`` file holds a header (components, each with named points; width, height, depth) and a body
(fps; a masked array frames x people x points x dims; a confidence per point). The reader maps the
components it knows to the 133 COCO-WholeBody points (the rest of the file is ignored):

- MediaPipe Holistic: ``POSE_LANDMARKS`` (33), ``FACE_LANDMARKS`` (468), ``LEFT_HAND_LANDMARKS``,
  ``RIGHT_HAND_LANDMARKS`` (21), through the MediaPipe mapping of :mod:`.mediapipe`
  (``POSE_WORLD_LANDMARKS``, metric 3-D, is ignored);
- OpenPose: ``pose_keypoints_2d`` (BODY_25, by point name), ``face_keypoints_2d`` (70: the 68 iBUG points
  are COCO-WholeBody's 23-90, the two pupils are dropped), ``hand_left_keypoints_2d`` /
  ``hand_right_keypoints_2d`` (21, the COCO-WholeBody hand order);
- OpenPose ``BODY_135``: body 25 (by name) + left hand 20 + right hand 20 (no wrist: the hand roots 91 and
  112 come from the body wrists, the same anatomical point) + face 70;
- COCO-WholeBody ``BODY`` (23), ``FACE`` (68), ``LEFT_HAND``, ``RIGHT_HAND`` (21): exact (what the writer
  writes).

Points of the 133 that no component supplies get score 0. Score = the file's confidence; masked points
and non-finite coordinates are missing (score 0). pose-format stores pixels (MediaPipe too, when the
header has a width and height): coordinates are divided by the header's width and height and
``image_size`` is set; a header without a size must hold 0-1 coordinates. Multi-person files: person 0
unless ``person=`` says otherwise.
"""
import struct
from typing import List, Tuple

import numpy as np

from cclslr.structures.keypoint_layout import NUM_WHOLEBODY
from ..atomic import atomic_open
from ..pose_files import PoseData, checked_fps, checked_image_size, register_pose_reader, register_pose_writer
from .mediapipe import MEDIAPIPE_TO_WHOLEBODY

_MEDIAPIPE_COMPONENTS = {'POSE_LANDMARKS': 'pose', 'FACE_LANDMARKS': 'face',
                         'LEFT_HAND_LANDMARKS': 'left_hand', 'RIGHT_HAND_LANDMARKS': 'right_hand'}
# OpenPose body point names (BODY_25 and the body of BODY_135) -> COCO-WholeBody body and feet (0-22).
_OPENPOSE_BODY = {'Nose': 0, 'LEye': 1, 'REye': 2, 'LEar': 3, 'REar': 4, 'LShoulder': 5, 'RShoulder': 6,
                  'LElbow': 7, 'RElbow': 8, 'LWrist': 9, 'RWrist': 10, 'LHip': 11, 'RHip': 12, 'LKnee': 13,
                  'RKnee': 14, 'LAnkle': 15, 'RAnkle': 16, 'LBigToe': 17, 'LSmallToe': 18, 'LHeel': 19,
                  'RBigToe': 20, 'RSmallToe': 21, 'RHeel': 22}
_FACE_68 = list(range(23, 91))
_LEFT_HAND, _RIGHT_HAND = list(range(91, 112)), list(range(112, 133))
# Component name -> number of points it must have.
_SIZES = {'POSE_LANDMARKS': 33, 'FACE_LANDMARKS': 468, 'LEFT_HAND_LANDMARKS': 21, 'RIGHT_HAND_LANDMARKS': 21,
          'pose_keypoints_2d': 25, 'face_keypoints_2d': 70, 'hand_left_keypoints_2d': 21,
          'hand_right_keypoints_2d': 21, 'BODY_135': 135,
          'BODY': 23, 'FACE': 68, 'LEFT_HAND': 21, 'RIGHT_HAND': 21}
# The writer's components, in file order (the pose-format package's COCO-WholeBody header).
_WHOLEBODY_COMPONENTS = (('BODY', list(range(23))), ('FACE', _FACE_68), ('LEFT_HAND', _LEFT_HAND),
                         ('RIGHT_HAND', _RIGHT_HAND))


def _body_by_name(points: List[str], offset: int) -> Tuple[List[int], List[int]]:
    pairs = [(_OPENPOSE_BODY[p], offset + i) for i, p in enumerate(points) if p in _OPENPOSE_BODY]
    return [d for d, _ in pairs], [s for _, s in pairs]


def component_mapping(name: str, points: List[str]) -> List[Tuple[List[int], List[int]]]:
    """(COCO-WholeBody indices, indices within the component) pairs for a known component, else []."""
    if name in _MEDIAPIPE_COMPONENTS:
        return [MEDIAPIPE_TO_WHOLEBODY[_MEDIAPIPE_COMPONENTS[name]]]
    if name == 'pose_keypoints_2d':
        return [_body_by_name(points, 0)]
    if name == 'face_keypoints_2d':
        return [(_FACE_68, list(range(68)))]
    if name in ('hand_left_keypoints_2d', 'LEFT_HAND'):
        return [(_LEFT_HAND, list(range(21)))]
    if name in ('hand_right_keypoints_2d', 'RIGHT_HAND'):
        return [(_RIGHT_HAND, list(range(21)))]
    if name == 'BODY_135':
        body = _body_by_name(points[:25], 0)
        wrists = ([91, 112], [points.index('LWrist'), points.index('RWrist')])
        return [body, wrists, (_LEFT_HAND[1:], list(range(25, 45))), (_RIGHT_HAND[1:], list(range(45, 65))),
                (_FACE_68, list(range(65, 133)))]
    if name == 'BODY':
        return [(list(range(23)), list(range(23)))]
    if name == 'FACE':
        return [(_FACE_68, list(range(68)))]
    return []


def _check_body_size(path: str, buf: bytes) -> None:
    """Refuse a truncated or padded body. pose-format 0.1 files infer the frame count from the bytes
    left, so a file cut in the middle reads without error as fewer frames, with the confidences taken
    from the coordinates of later frames; 0.2 files declare the count."""
    from pose_format.pose_header import PoseHeader
    from pose_format.utils.reader import BufferReader
    reader = BufferReader(buf)
    header = PoseHeader.read(reader)
    start = reader.read_offset
    version = round(float(header.version), 3)
    if version not in (0.1, 0.2):
        return  # 0.0 has no frame count to check
    fmt = '<HHH' if version == 0.1 else '<fIH'  # fps, frames, people
    _, frames, people = struct.unpack_from(fmt, buf, start)
    body = len(buf) - start - struct.calcsize(fmt)
    frame_bytes = people * sum(len(c.points) for c in header.components) * (header.num_dims() + 1) * 4
    if version == 0.1:  # the declared ushort count may have wrapped (pose-format's own comment)
        ok = frame_bytes and body % frame_bytes == 0 and (body // frame_bytes) % 65536 == frames
    else:
        ok = body == frames * frame_bytes
    if not ok:
        raise ValueError(f'{path}: truncated or padded .pose body: the header declares {frames} frames of '
                         f'{people} people ({frames * frame_bytes} bytes), the file holds {body} bytes')


def _read(path: str):
    from pose_format import Pose  # imported here: only .pose files need the package
    with open(path, 'rb') as f:
        buf = f.read()
    _check_body_size(path, buf)
    return Pose.read(buf)


@register_pose_reader('pose_format', extensions=('.pose',))
def read_pose_format(path: str, person: int = 0, coords: str = 'pixel') -> PoseData:
    """Read a ``.pose`` file (see the module docstring).

    Args:
        path: the file.
        person: which person of a multi-person file (0 = the first).
        coords: 'pixel' (as pose-format writes when the header has a size) or 'normalized' (0-1, for
            writers that store those beside a size); pixel data all within 1.5 of 0 is an error.

    Returns:
        :class:`PoseData`, 'normalized' (pixels divided by the header's width / height), with
        ``image_size`` from the header when it has one and ``fps`` from the body.
    """
    pose = _read(path)
    header, body = pose.header, pose.body
    data = np.ma.asarray(body.data)
    conf = np.asarray(body.confidence, dtype=np.float32)
    total = sum(len(c.points) for c in header.components)
    if data.ndim != 4 or data.shape[2] != total or data.shape[3] < 2 or conf.shape != data.shape[:3]:
        raise ValueError(f'{path}: body of shape {data.shape} (confidence {conf.shape}) does not match the '
                         f'header ({total} points)')
    if not isinstance(person, int) or not 0 <= person < max(data.shape[1], 1):
        raise ValueError(f'{path}: person={person!r} but the file holds {data.shape[1]} people')
    num_frames = data.shape[0]
    xy = np.zeros((num_frames, total, 2), np.float32)
    score = np.zeros((num_frames, total), np.float32)
    if data.shape[1]:
        mask = np.ma.getmaskarray(data[:, person, :, :2]).any(-1)
        xy = np.ma.getdata(data[:, person, :, :2]).astype(np.float32)
        score = np.where(mask | ~np.isfinite(xy).all(-1), 0.0, np.nan_to_num(conf[:, person], nan=0.0))
        score = np.clip(score, 0.0, 1.0).astype(np.float32)
    width, height = header.dimensions.width, header.dimensions.height
    size = checked_image_size(path, width, height) if width and height else None
    present = score > 0
    xy = np.where(present[..., None], xy, 0.0).astype(np.float32)  # masked points may hold any bits
    if coords not in ('pixel', 'normalized'):
        raise ValueError(f"{path}: coords must be 'pixel' or 'normalized', got {coords!r}")
    span = float(np.abs(xy[present]).max()) if present.any() else 0.0
    if size is not None and coords == 'pixel':
        if present.any() and span <= 1.5 and min(size) >= 16:  # a few pixels at most: not pixels
            raise ValueError(f'{path}: the header gives {size[0]} x {size[1]} pixels but every point lies '
                             f"within {span:.2f} of 0: 0-1 coordinates? Read it with coords='normalized'")
        xy = xy / np.array(size, np.float32)
    elif size is None and span > 2:
        raise ValueError(f'{path}: pixel coordinates (up to {span:.0f}) but the header has no width/height '
                         f'({width} x {height}) to normalise them')

    kpts = np.zeros((num_frames, NUM_WHOLEBODY, 2), np.float32)
    scores = np.zeros((num_frames, NUM_WHOLEBODY), np.float32)
    known, offset = [], 0
    for comp in header.components:
        points = list(comp.points)
        mapping = component_mapping(comp.name, points)
        if mapping:
            if len(points) != _SIZES[comp.name]:
                raise ValueError(f'{path}: component {comp.name} has {len(points)} points, expected '
                                 f'{_SIZES[comp.name]}')
            if not comp.format.startswith('XY'):
                raise ValueError(f'{path}: component {comp.name} has point format {comp.format!r}; '
                                 "expected 'XY...'")
            known.append(comp.name)
            for dst, src in mapping:
                src = [offset + s for s in src]
                kpts[:, dst] = np.where(present[:, src, None], xy[:, src], 0.0)
                scores[:, dst] = score[:, src]
        offset += len(points)
    if not known:
        raise ValueError(f'{path}: no known pose component (has {[c.name for c in header.components]}; '
                         f'reads {sorted(_SIZES)})')
    fps = checked_fps(path, float(body.fps)) if body.fps else None
    return PoseData(kpts, scores, 'normalized', size, fps)


@register_pose_writer('pose_format')
def write_pose_format(path: str, pose: PoseData) -> None:
    """Write ``pose`` as a ``.pose`` file with the COCO-WholeBody components (BODY 23, FACE 68, LEFT_HAND,
    RIGHT_HAND 21; point format XYC), one person. With ``image_size`` the coordinates are stored in pixels
    and the header has the width and height (as pose-format does); without, 0-1 coordinates and a 0 x 0
    header. Score-0 points are masked; fps 0 means unknown. Written atomically."""
    from pose_format import Pose
    from pose_format.numpy.pose_body import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderDimensions
    from pose_format.utils.cocowholebody133_header import cocowholebody_components

    kpts = pose.keypoints.astype(np.float32)
    if pose.image_size is None:
        if pose.unit == 'pixel':
            raise ValueError(f'{path}: pixel keypoints without image_size cannot be written as .pose (the '
                             'header must give the width and height)')
        width = height = 0
    else:
        width, height = pose.image_size
        if pose.unit == 'normalized':
            kpts = kpts * np.array([width, height], np.float32)
    comps = cocowholebody_components()
    assert [c.name for c in comps] == [n for n, _ in _WHOLEBODY_COMPONENTS]
    order = [i for _, idx in _WHOLEBODY_COMPONENTS for i in idx]
    missing = (pose.scores[:, order] <= 0)[:, None, :, None].repeat(2, axis=-1)
    data = np.ma.masked_array(np.where(missing, 0.0, kpts[:, None, order]).astype(np.float32), mask=missing)
    body = NumPyPoseBody(fps=float(pose.fps or 0.0), data=data, confidence=pose.scores[:, None, order])
    header = PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(width=width, height=height, depth=0),
                        components=comps)
    with atomic_open(path) as f:
        Pose(header, body).write(f)
