"""Unpickling data files without running code: only numpy arrays and plain containers are admitted.

``pickle.load`` calls whatever callable a file names, so a pose file from the internet could run
``os.system``. :class:`SafeUnpickler` resolves only the globals that pickles of numpy arrays, dtypes and
scalars, and of builtin containers, reference (checked by pickling such objects with protocols 0-5 under
numpy 1.26 and 2.1):

* numpy: ``numpy.ndarray``, ``numpy.dtype``, ``numpy.core.multiarray._reconstruct`` and ``.scalar``
  (protocols 0-4), ``numpy.core.numeric._frombuffer`` (protocol 5), and numpy 2's ``numpy._core``
  spellings of the last three;
* builtins: ``set``, ``frozenset``, ``bytearray``, ``complex`` (protocols < 4 name them, as
  ``__builtin__.*`` in protocols < 3), ``_codecs.encode`` (how protocols < 3 store ``bytes``) and
  ``collections.OrderedDict``. Lists, tuples, dicts, str, int, float, bool and None need no global.

Anything else raises :class:`UnsafePickleError` before it is called.
"""
import io
import pickle

SAFE_GLOBALS = frozenset([
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy._core.numeric', '_frombuffer'),
    ('builtins', 'set'), ('builtins', 'frozenset'), ('builtins', 'bytearray'), ('builtins', 'complex'),
    ('__builtin__', 'set'), ('__builtin__', 'frozenset'), ('__builtin__', 'bytearray'),
    ('__builtin__', 'complex'),
    ('_codecs', 'encode'),
    ('collections', 'OrderedDict'),
])


class UnsafePickleError(ValueError):
    """A pickle names a global outside :data:`SAFE_GLOBALS`; the message names the file and the global."""


class SafeUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` that resolves only :data:`SAFE_GLOBALS`.

    Args:
        file: binary file object to read.
        path: the file's name, used in the error message.
    """

    def __init__(self, file, path: str = '<bytes>'):
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) not in SAFE_GLOBALS:
            raise UnsafePickleError(f'{self.path}: refused to unpickle {module}.{name} (pose files may hold '
                                    'only arrays and plain containers)')
        return super().find_class(module, name)


def safe_load(path: str):
    """Unpickle the file at ``path`` with :class:`SafeUnpickler`.

    Raises:
        UnsafePickleError (a ValueError): the file names a global that is not admitted; nothing of it
            has been called. Other errors (OSError, pickle.UnpicklingError, EOFError, ...) propagate.
    """
    with open(path, 'rb') as f:
        return SafeUnpickler(f, path).load()


def safe_loads(data: bytes, path: str = '<bytes>'):
    """:func:`safe_load` for bytes in memory; ``path`` names their origin in errors."""
    return SafeUnpickler(io.BytesIO(data), path).load()
