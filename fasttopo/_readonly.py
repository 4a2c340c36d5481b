"""A Numba intrinsic that hands an array back to Python read-only (private)."""

from numba import types
from numba.extending import intrinsic

__all__ = ["read_only"]


@intrinsic
def read_only(typingctx, array):
    """The same array (a new reference), typed read-only.

    Numba boxes a read-only array type as a NumPy array whose ``writeable``
    flag is off, so a kernel can return the arrays of a diagram already
    frozen: no ``setflags`` call per array in Python (a few microseconds
    per diagram when the interpreter's caches are cold).  The data is not
    copied; the kernel must not write to the array afterwards.
    """
    if not isinstance(array, types.Array):
        return None
    sig = array.copy(readonly=True)(array)

    def codegen(context, builder, signature, args):
        context.nrt.incref(builder, signature.args[0], args[0])
        return args[0]

    return sig, codegen
