"""The engine's compiled kernels: a cache that never goes stale, and a first-call notice.

Numba caches a kernel next to its source file (or in ``NUMBA_CACHE_DIR``)
and checks only that one file's modification time: a kernel that calls a
kernel of another module would run a stale cached copy after that other
module is edited.  The engine's kernels call one another across modules,
so their cache entries are stamped with a hash of *all* the engine's
sources instead: any edit to the package recompiles its kernels.

Compiling the kernels takes about 13 s for the first 2D image on a new
machine and a few seconds more for a volume (after that they load from
the cache in milliseconds; see ``docs/development.rst``, "What a first
call compiles"); when a compilation lasts more than a second, a line on
stderr says so once per process.  ``fasttopo warmup`` compiles them all
ahead of time.
"""

import glob
import hashlib
import os
import sys
import threading

from numba.core import caching, event

__all__ = ["engine_stamp"]

_DIR = os.path.dirname(os.path.abspath(__file__))
_STAMP = None
_NOTICE_AFTER = 1.0  # seconds
_MESSAGE = ("fasttopo: compiling its kernels for this machine (once; later processes load "
            "them from the Numba cache; `fasttopo warmup` compiles them all ahead)...")


def engine_stamp():
    """A hash of the sources of the engine package (its ``.py`` and ``.pyx`` files)."""
    global _STAMP
    if _STAMP is None:
        digest = hashlib.sha256()
        for path in sorted(glob.glob(os.path.join(_DIR, "*.py"))
                           + glob.glob(os.path.join(_DIR, "*.pyx"))):
            digest.update(os.path.basename(path).encode())
            with open(path, "rb") as f:
                digest.update(f.read())
        _STAMP = digest.hexdigest()
    return _STAMP


def _in_engine(py_file):
    return os.path.dirname(os.path.abspath(py_file)) == _DIR


def _engine_locator(base):
    class Locator(base):
        def get_source_stamp(self):
            return engine_stamp()

        @classmethod
        def from_function(cls, py_func, py_file):
            if not _in_engine(py_file):
                return None
            return super().from_function(py_func, py_file)

    Locator.__name__ = Locator.__qualname__ = "Engine" + base.__name__
    return Locator


def _numba(name):
    """A class of ``numba.core.caching`` (public names since Numba 0.61, private before)."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


_LOCATORS = [_engine_locator(_numba(name)) for name in ("UserProvidedCacheLocator",
                                                        "InTreeCacheLocator",
                                                        "UserWideCacheLocator")]
_IMPL = _numba("CacheImpl")
if not any(cls.__name__.startswith("Engine") for cls in _IMPL._locator_classes):
    _IMPL._locator_classes[:0] = _LOCATORS


class _Notice(event.Listener):
    """Says once on stderr that fasttopo is compiling, if a compilation lasts > 1 s."""

    def __init__(self):
        self.depth = 0
        self.timer = None
        self.said = False

    def _say(self):
        if not self.said:
            self.said = True
            print(_MESSAGE, file=sys.stderr, flush=True)

    def on_start(self, ev):
        self.depth += 1
        if self.depth == 1 and not self.said:
            disp = ev.data.get("dispatcher")
            module = getattr(getattr(disp, "py_func", None), "__module__", "") or ""
            if module.startswith("fasttopo"):
                self.timer = threading.Timer(_NOTICE_AFTER, self._say)
                self.timer.daemon = True
                self.timer.start()

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0 and self.timer is not None:
            self.timer.cancel()
            self.timer = None


_NOTICE = _Notice()
event.register("numba:compile", _NOTICE)
