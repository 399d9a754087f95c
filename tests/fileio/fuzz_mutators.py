"""Seeded mutators of the fuzz suite: each takes the bytes (or parsed content) of a valid file and a
``random.Random`` and returns mutated bytes plus a short name of what was done (for the failure list).

Byte mutators apply to any file; json and array mutators change one field or array of a parsed file, so
that the result still parses and reaches the reader's own checks (wrong types, NaN/inf, missing keys,
wrong shapes, huge declared sizes).
"""
import io
import json
import random
import zipfile

import numpy as np

# --------------------------------------------------------------------------- bytes


def truncate(data, rng):
    cut = rng.randrange(len(data))
    return data[:cut], f'truncate@{cut}'


def flip_bits(data, rng):
    buf = bytearray(data)
    n = rng.choice((1, 4, 32))
    for _ in range(n):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf), f'flip{n}bits'


def random_bytes(data, rng):
    buf = bytearray(data)
    start = rng.randrange(len(buf))
    n = min(rng.choice((1, 16, 256)), len(buf) - start)
    buf[start:start + n] = bytes(rng.randrange(256) for _ in range(n))
    return bytes(buf), f'random{n}@{start}'


def zero_range(data, rng):
    buf = bytearray(data)
    start = rng.randrange(len(buf))
    n = min(rng.choice((8, 512, 4096)), len(buf) - start)
    buf[start:start + n] = bytes(n)
    return bytes(buf), f'zero{n}@{start}'


def empty(data, rng):
    return b'', 'empty'


def append_garbage(data, rng):
    return data + bytes(rng.randrange(256) for _ in range(rng.choice((1, 100, 5000)))), 'append'


def head_only(data, rng):
    n = rng.choice((1, 8, 64, 1024))
    return data[:n], f'head{n}'


BYTE_MUTATORS = (truncate, flip_bits, random_bytes, zero_range, empty, append_garbage, head_only)

# --------------------------------------------------------------------------- json

WRONG_VALUES = (None, 'x', '', -1, 0, 10 ** 30, 1e308, float('nan'), float('inf'), -float('inf'), True,
                [], {}, [1, 2], {'a': 1}, 3.5)


def _nodes(obj, path=()):
    """(path, value) of every node under the root (the root itself excluded)."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        yield path + (k,), v
        yield from _nodes(v, path + (k,))


def json_mutate(obj, rng):
    """Replace one node of a parsed json by a wrong value, or delete it; returns (bytes, name)."""
    nodes = list(_nodes(obj))
    # Leaves are where the readers convert types, so pick them more often than containers.
    leaves = [n for n in nodes if not isinstance(n[1], (dict, list))]
    path, _ = rng.choice(leaves if leaves and rng.random() < 0.8 else nodes)
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    if rng.random() < 0.2:
        del parent[path[-1]]
        name = 'delete'
    else:
        value = rng.choice(WRONG_VALUES)
        parent[path[-1]] = value
        name = f'set {value!r}'
    where = '/'.join(str(p) for p in path)
    return json.dumps(obj).encode(), f'json {where}: {name}'

# --------------------------------------------------------------------------- arrays


def array_mutate(arr, rng):
    """A wrong version of one array: NaN/inf, another shape, dtype, an empty or a scalar array."""
    arr = np.asarray(arr)
    kind = rng.choice(('nan', 'inf', 'transpose', 'drop_axis', 'add_axis', 'empty', 'scalar', 'int8',
                       'complex', 'bool', 'str', 'huge'))
    if kind in ('nan', 'inf') and arr.size and arr.dtype.kind == 'f':
        out = arr.copy()
        out.reshape(-1)[rng.randrange(arr.size)] = np.nan if kind == 'nan' else -np.inf
        return out, kind
    if kind == 'transpose' and arr.ndim >= 2:
        return arr.T.copy(), kind
    if kind == 'drop_axis' and arr.ndim >= 1 and arr.size:
        return arr.reshape(-1)[: max(arr.size // max(arr.shape[-1], 1), 1)].copy(), kind
    if kind == 'add_axis':
        return arr[None, None], kind
    if kind == 'empty':
        return np.zeros((0,) + arr.shape[1:], arr.dtype), kind
    if kind == 'scalar':
        return np.asarray(7, arr.dtype), kind
    if kind == 'huge':  # an absurd value where a size or a coordinate is read
        return np.full_like(arr, np.iinfo(np.int64).max if arr.dtype.kind in 'iu' else 1e38), kind
    dtype = dict(int8=np.int8, complex=np.complex64, bool=np.bool_, str='U3').get(kind, np.float64)
    with np.errstate(invalid='ignore'):  # NaN or inf cast to an integer type is part of the mutation
        return arr.astype(dtype), kind


def npz_mutate(arrays, rng):
    """Mutate, drop or add one member of an npz (a dict of arrays); returns (bytes, name)."""
    arrays = dict(arrays)
    key = rng.choice(sorted(arrays))
    r = rng.random()
    if r < 0.15:
        del arrays[key]
        name = f'npz drop {key}'
    elif r < 0.2:
        arrays['extra'] = np.zeros(3)
        name = 'npz extra member'
    else:
        arrays[key], kind = array_mutate(arrays[key], rng)
        name = f'npz {key}: {kind}'
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays) if rng.random() < 0.5 else np.savez(buf, **arrays)
    return buf.getvalue(), name


def _huge_header(member, shape):
    """The same .npy bytes with ``shape`` declared in the header (the array data stays as it is)."""
    f = io.BytesIO(member)
    version = np.lib.format.read_magic(f)
    header = np.lib.format._read_array_header(f, version)  # (shape, fortran_order, dtype)
    out = io.BytesIO()
    np.lib.format.write_array_header_2_0(out, dict(descr=np.lib.format.dtype_to_descr(header[2]),
                                                    fortran_order=header[1], shape=shape))
    return out.getvalue() + member[f.tell():]


HUGE_SHAPES = ((10 ** 12, 543, 3), (2 ** 40,), (123457, 133, 2), (3, 2 ** 33, 2 ** 33))


def npy_huge_header(data, rng):
    shape = rng.choice(HUGE_SHAPES)
    return _huge_header(data, shape), f'npy shape {shape}'


def npz_huge_header(data, rng):
    """Declare a huge shape in one member of an npz."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    victim, shape = rng.choice(names), rng.choice(HUGE_SHAPES)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as dst:
        for name in names:
            member = src.read(name)
            dst.writestr(name, _huge_header(member, shape) if name == victim else member)
    return buf.getvalue(), f'npz {victim} shape {shape}'


def mutants(src, n, seed, extra=(), as_json=False):
    """``n`` (bytes, name) mutations of file ``src``: byte mutators, plus ``extra`` content mutators,
    and json field mutators when ``as_json``; the seed makes every mutation reproducible."""
    with open(src, 'rb') as f:
        data = f.read()
    for i in range(n):
        rng = random.Random(f'{seed}-{i}')
        if as_json and rng.random() < 0.5:
            yield json_mutate(json.loads(data), rng)
        elif extra and rng.random() < 0.5:
            yield rng.choice(extra)(data, rng)
        else:
            yield rng.choice(BYTE_MUTATORS)(data, rng)
