"""Draw a pose file's keypoints onto its video's frames and save a PNG grid.

    python tools/data/overlay_keypoints.py VIDEO POSE_FILE OUT.png [--frames 8] [--scale 3]
        [--pose-format auto] [--skin R G B]

POSE_FILE is any format ``cclslr.fileio.read_pose`` reads (Uni-Sign ``.pkl``, MMPose ``.json``, MediaPipe
``.npz``/``.npy``, ...; ``--pose-format auto`` picks it by the extension); it must have one frame per video
frame.

Draws the skeleton of the points CCL-SLR keeps (cclslr/structures/keypoint_layout.py) with cclslr's
SignVisualizer: body green, face yellow, mouth orange, left hand magenta, right hand cyan (COCO sides: the
signer's left hand is on the image right). With --skin, also prints the fraction of visible hand
keypoints that sit on skin-coloured pixels (``keypoint_colour_agreement``).
"""
import argparse
import os.path as osp
import sys

import cv2

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from cclslr.datasets.synthetic.overlay import (keypoint_colour_agreement, normalized_pose,  # noqa: E402
                                               overlay_grid)
from cclslr.fileio import read_video  # noqa: E402
from cclslr.fileio.pose_files import check_pose_format, pose_format_names  # noqa: E402
from cclslr.visualization import SignVisualizer  # noqa: E402
from cclslr.utils.launch import run_tool  # noqa: E402

__all__ = ['keypoint_colour_agreement', 'overlay_grid', 'main']


def main(argv=None):
    p = argparse.ArgumentParser(description='Overlay keypoints on video frames')
    p.add_argument('video')
    p.add_argument('pose', help='pose file (any registered format)')
    p.add_argument('out', help='output PNG')
    p.add_argument('--frames', type=int, default=8, help='number of evenly spaced frames')
    p.add_argument('--scale', type=int, default=3, help='upscaling of each frame')
    p.add_argument('--score-thr', type=float, default=0.3)
    p.add_argument('--pose-format', default='auto',
                   help=f"one of {('auto',) + pose_format_names()} ('auto': by the file's extension)")
    p.add_argument('--skin', type=int, nargs=3, metavar=('R', 'G', 'B'),
                   help="signer's skin colour: report the hand keypoints' colour agreement")
    args = p.parse_args(argv)
    check_pose_format(args.pose_format, '--pose-format')
    frames, _ = read_video(args.video)
    kpts, scores = normalized_pose(args.pose, frames.shape[2], frames.shape[1], args.pose_format)
    vis = SignVisualizer.get_instance('overlay_keypoints')
    vis.score_thr = args.score_thr  # get_instance returns the first instance of the name as it was built
    grid = vis.keypoint_grid(frames, kpts, scores, args.frames, args.scale)
    if not cv2.imwrite(args.out, grid[..., ::-1]):
        raise SystemExit(f'{args.out}: cannot write the PNG')
    print(f'wrote {args.out} ({grid.shape[1]}x{grid.shape[0]})')
    if args.skin:
        agree = keypoint_colour_agreement(frames, kpts, scores, [args.skin],
                                          score_thr=args.score_thr)
        print(f'hand keypoints on skin-coloured pixels: {100 * agree:.1f}%')


if __name__ == '__main__':
    # an error: one line naming the file and the reason, exit status 1 (as tools/train.py)
    sys.exit(run_tool(main, 'overlay_keypoints.py'))
