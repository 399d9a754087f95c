"""How much of the signer each test-time geometry keeps: the fraction of each clip's signer box
(``manifest.csv``'s ``bbox``, pixels [x0, y0, x1, y1]) inside the frame area the test view shows.

    python tools/analysis/crop_coverage.py [--manifest ../shared/data/videos/manifest.csv] [--size 224]

Geometries: ``squash`` (resize to size x size: all of the box, aspect changed), ``short+centre`` (short
side to ``size``, central size x size: the test pipelines'), ``256->224`` (short side to 256/224 x size,
central size x size: MMAction2's usual test crop). Prints one line per clip (width, height, the two
fractions) and the mean and the lowest of each.
"""
import argparse
import csv
import json


def covered(box, view) -> float:
    """Fraction of ``box``'s area inside ``view`` (both [x0, y0, x1, y1])."""
    w = max(0.0, min(box[2], view[2]) - max(box[0], view[0]))
    h = max(0.0, min(box[3], view[3]) - max(box[1], view[1]))
    return w * h / ((box[2] - box[0]) * (box[3] - box[1]))


def central_square(w: int, h: int, fraction: float):
    """The central square of side ``fraction`` x the short side, in source pixels."""
    s = min(w, h) * fraction
    return (w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--manifest', default='../shared/data/videos/manifest.csv')
    p.add_argument('--size', type=int, default=224)
    args = p.parse_args(argv)
    margin = args.size / (args.size * 256 / 224)  # the 256 -> 224 crop keeps 224/256 of the short side
    results = {'short+centre': [], '256->224': []}
    with open(args.manifest, newline='') as f:
        for row in csv.DictReader(f):
            w, h, box = int(row['width']), int(row['height']), json.loads(row['bbox'])
            a = covered(box, central_square(w, h, 1.0))
            b = covered(box, central_square(w, h, margin))
            results['short+centre'].append(a)
            results['256->224'].append(b)
            print(f'{row["video_id"]}  {w}x{h}  short+centre {a:.3f}  256->224 {b:.3f}')
    for name, values in results.items():
        print(f'{name}: mean {sum(values) / len(values):.3f}, lowest {min(values):.3f} '
              f'over {len(values)} clips (squash: 1.000, aspect changed)')


if __name__ == '__main__':
    main()
