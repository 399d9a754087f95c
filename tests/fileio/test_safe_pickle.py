"""The restricted unpickler: arrays and plain containers load, anything that names code is refused
before it runs."""
import collections
import os
import pickle
import re

import numpy as np
import pytest

from cclslr.fileio import SafeUnpickler, UnsafePickleError, read_pose, safe_load, safe_loads
from cclslr.fileio.safe_pickle import SAFE_GLOBALS


class _Planted:
    """Unpickling it would run a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def planted_pose_file(path, marker):
    """A Uni-Sign-looking pose file whose scores entry runs ``touch marker`` when unpickled."""
    data = dict(keypoints=[np.zeros((1, 133, 2), np.float32)], scores=_Planted(marker))
    with open(path, 'wb') as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    return str(path)


def refusal(path, target=f'{os.system.__module__}.system'):
    """The exact message of a refused pickle, as a regular expression."""
    return re.escape(f'{path}: refused to unpickle {target} (pose files may hold only arrays and plain '
                     'containers)') + '$'


def test_planted_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'marker'
    path = planted_pose_file(tmp_path / 'evil.pkl', marker)
    with open(path, 'rb') as f:  # the file is really an exploit: plain pickle runs it
        assert pickle.load(f) is not None
    assert marker.exists()
    marker.unlink()
    with pytest.raises(UnsafePickleError, match=refusal(path)):
        safe_load(path)
    with pytest.raises(ValueError, match=refusal(path)):
        read_pose(path)
    with pytest.raises(ValueError, match=refusal(path)):
        read_pose(path, 'mmpose')  # MMPose pickles go through the same unpickler
    assert not marker.exists()


@pytest.mark.parametrize('target', ['builtins.eval', 'subprocess.Popen', 'numpy.load',
                                    'numpy.testing.rundocs', 'collections.namedtuple'])
def test_other_globals_are_refused(target):
    module, name = target.rsplit('.', 1)
    data = b'\x80\x02c' + module.encode() + b'\n' + name.encode() + b'\n)R.'  # GLOBAL, EMPTY_TUPLE, REDUCE
    with pytest.raises(UnsafePickleError, match=refusal('blob', target)):
        safe_loads(data, 'blob')


def test_uni_sign_style_pickles_load_with_every_protocol(tmp_path):
    rng = np.random.default_rng(0)
    kpts = rng.random((4, 133, 2)).astype(np.float32)
    scores = rng.random((4, 133)).astype(np.float32)
    data = dict(keypoints=[k[None] for k in kpts], scores=[s[None] for s in scores],
                width=np.int64(320), height=240, fps=np.float32(25))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = tmp_path / f'p{protocol}.pkl'
        path.write_bytes(pickle.dumps(data, protocol=protocol))
        pose = read_pose(str(path))
        np.testing.assert_array_equal(pose.keypoints, kpts)
        np.testing.assert_array_equal(pose.scores, scores)
        assert pose.image_size == (320, 240) and pose.fps == 25.0


def test_numpy_arrays_dtypes_scalars_and_containers_round_trip():
    values = [np.zeros((2, 3), np.float32), np.arange(5), np.array([True, False]), np.zeros(3, np.float16),
              np.zeros(3, '>f4'), np.asfortranarray(np.ones((2, 3))), np.ones((4, 4))[:, 1],
              np.array([(1, 2.0)], dtype=[('a', 'i4'), ('b', 'f8')]), np.array(['ab', 'c']),
              np.float32(1), np.int64(-3), np.bool_(True), np.float64(2.5), np.dtype('f4'),
              collections.OrderedDict(a=1), {1, 2}, frozenset([3]), b'xy', bytearray(b'z'), 1 + 2j,
              (1, 'a', None, 2.0, [True])]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        for value in values:
            blob = pickle.dumps({'v': [value]}, protocol=protocol)
            out, ref = safe_loads(blob)['v'][0], pickle.loads(blob)['v'][0]  # the same as plain pickle
            assert type(out) is type(value), (protocol, value)
            if isinstance(value, np.ndarray):
                assert out.dtype == ref.dtype and np.array_equal(out, value)
            else:
                assert out == value


def test_numpy2_spellings_are_admitted():
    # numpy 2 writes numpy._core.*; protocol 2 names globals as text, so the spelling can be swapped in.
    blob = pickle.dumps(np.arange(3, dtype=np.int16), protocol=2)
    assert b'numpy.core.multiarray' in blob
    out = safe_loads(blob.replace(b'numpy.core.multiarray', b'numpy._core.multiarray'))
    assert out.dtype == np.int16 and out.tolist() == [0, 1, 2]
    assert {('numpy._core.multiarray', '_reconstruct'), ('numpy._core.multiarray', 'scalar'),
            ('numpy._core.numeric', '_frombuffer')} <= SAFE_GLOBALS


def test_unpickler_is_a_pickle_unpickler(tmp_path):
    path = tmp_path / 'x.pkl'
    path.write_bytes(pickle.dumps([1, 2]))
    with open(path, 'rb') as f:
        unpickler = SafeUnpickler(f, str(path))
        assert isinstance(unpickler, pickle.Unpickler) and unpickler.load() == [1, 2]
