"""Numba intrinsics of the engine: a prefetch hint and read-only arrays (private)."""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch", "read_only"]


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the CPU to load ``array[index]`` into cache (no effect on results).

    ``index`` must be within bounds; nothing is read, so an out-of-bounds
    index is harmless on x86 but is never passed here.
    """
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        aty, _ = signature.args
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aty, ary, [args[1]],
                                       wraparound=False, boundscheck=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # read access, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen



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
