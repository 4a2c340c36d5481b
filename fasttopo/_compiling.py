"""fasttopo's compiled kernels: a cache that never goes stale, and a first-call notice.

Numba caches a kernel next to its source file (or in ``NUMBA_CACHE_DIR``)
and checks only that one file's modification time: a kernel that calls a
kernel of another module would run a stale cached copy after that other
module is edited (``mark_objects``'s kernels call the engine's, for
example).  One rule covers every kernel of the package: its cache entry is
stamped with a hash of *all* the package's sources (``.py`` and ``.pyx``
files, every subpackage), so any edit of any source, or an upgrade,
recompiles every kernel on its next call.  Imported first by
``fasttopo/__init__.py``, before any kernel can be loaded.

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

__all__ = ["package_stamp"]

_DIR = os.path.dirname(os.path.abspath(__file__))   # the package: fasttopo/
_STAMP = None
_NOTICE_AFTER = 1.0  # seconds
_MESSAGE = ("fasttopo: compiling its kernels for this machine (once; later processes load "
            "them from the Numba cache; `fasttopo warmup` compiles them all ahead)...")


def package_stamp():
    """A hash of every source of the package (``.py`` and ``.pyx``, all subpackages)."""
    global _STAMP
    if _STAMP is None:
        digest = hashlib.sha256()
        paths = (glob.glob(os.path.join(_DIR, "**", "*.py"), recursive=True)
                 + glob.glob(os.path.join(_DIR, "**", "*.pyx"), recursive=True))
        for path in sorted(paths):
            digest.update(os.path.relpath(path, _DIR).encode())
            with open(path, "rb") as f:
                digest.update(f.read())
        _STAMP = digest.hexdigest()
    return _STAMP


def _in_package(py_file):
    path = os.path.abspath(py_file)
    return os.path.commonpath([path, _DIR]) == _DIR


def _package_locator(base):
    class Locator(base):
        def get_source_stamp(self):
            return package_stamp()

        @classmethod
        def from_function(cls, py_func, py_file):
            if not _in_package(py_file):
                return None
            return super().from_function(py_func, py_file)

    Locator.__name__ = Locator.__qualname__ = "Fasttopo" + base.__name__
    return Locator


def _numba(name):
    """A class of ``numba.core.caching`` (public names since Numba 0.61, private before)."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


_LOCATORS = [_package_locator(_numba(name)) for name in ("UserProvidedCacheLocator",
                                                        "InTreeCacheLocator",
                                                        "UserWideCacheLocator")]
_IMPL = _numba("CacheImpl")
if not any(cls.__name__.startswith("Fasttopo") for cls in _IMPL._locator_classes):
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
