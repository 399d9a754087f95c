"""The process's random generator states (Python, numpy, torch), as checkpoint-safe types."""
import random

import numpy as np
import torch


def get_rng_state() -> dict:
    """Python, numpy and torch (CPU and every CUDA device) generator states, as checkpoint-safe types.

    numpy's state is stored as plain ints so that a weights-only ``torch.load`` accepts it.
    """
    np_state = np.random.get_state()
    state = dict(python=random.getstate(),
                 numpy=dict(key=np_state[1].tolist(), pos=int(np_state[2]), has_gauss=int(np_state[3]),
                            cached_gaussian=float(np_state[4])),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Inverse of :func:`get_rng_state`."""
    py = state['python']
    # A checkpoint round trip may turn the inner tuple into a list; random.setstate needs tuples.
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state['numpy']
    np.random.set_state(('MT19937', np.asarray(n['key'], dtype=np.uint32), n['pos'], n['has_gauss'],
                         n['cached_gaussian']))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])
