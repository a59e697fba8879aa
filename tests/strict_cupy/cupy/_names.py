"""The names CuPy really has (from its API reference); only these are exported.

NumPy has many more (``sctypeDict``, ``errstate``, ``seterr``, ``add.at``-style helpers,
``ndarray.flags.writeable`` ...): code that reaches for one of them fails on a real GPU,
so the stand-in fails the same way.
"""

# Elementwise universal functions (reference: "Universal functions (cupy.ufunc)")
UFUNCS = """
add subtract multiply matmul divide logaddexp logaddexp2 true_divide floor_divide negative
positive power float_power remainder mod fmod divmod absolute fabs rint sign heaviside conj
conjugate exp exp2 log log2 log10 expm1 log1p sqrt square cbrt reciprocal gcd lcm sin cos
tan arcsin arccos arctan arctan2 hypot sinh cosh tanh arcsinh arccosh arctanh degrees
radians deg2rad rad2deg bitwise_and bitwise_or bitwise_xor invert left_shift right_shift
bitwise_not greater greater_equal less less_equal not_equal equal logical_and logical_or
logical_xor logical_not maximum minimum fmax fmin isfinite isinf isnan signbit copysign
nextafter modf ldexp frexp floor ceil trunc spacing
abs acos acosh asin asinh atan atan2 atanh pow bitwise_left_shift bitwise_right_shift
bitwise_invert
""".split()

# Routines (reference: "Routines (NumPy)"): creation, manipulation, indexing, logic,
# math, sorting/searching/counting, statistics, set and binary routines
ROUTINES = """
empty empty_like eye identity ones ones_like zeros zeros_like full full_like
array asarray asanyarray ascontiguousarray asfortranarray copy fromfile fromfunction
fromiter frombuffer fromstring loadtxt arange linspace logspace meshgrid
diag diagflat tri tril triu vander
copyto shape ndim size reshape ravel moveaxis rollaxis swapaxes transpose permute_dims
atleast_1d atleast_2d atleast_3d broadcast_arrays broadcast_to broadcast_shapes
expand_dims squeeze asarray_chkfinite require concatenate concat stack vstack hstack dstack
column_stack row_stack split array_split hsplit vsplit dsplit unstack delete append resize
trim_zeros unique unique_all unique_counts unique_inverse unique_values flip fliplr flipud
reshape roll rot90 tile repeat pad
nonzero where indices ix_ ravel_multi_index unravel_index diag_indices
diag_indices_from mask_indices tril_indices tril_indices_from triu_indices
triu_indices_from take take_along_axis choose compress diagonal select extract place put
put_along_axis putmask fill_diagonal
all any isfinite isinf isnan isneginf isposinf iscomplex iscomplexobj isfortran isreal
isrealobj isscalar allclose isclose array_equal array_equiv
sum prod nansum nanprod cumsum cumprod nancumsum nancumprod diff ediff1d gradient cross
trapezoid ptp around round fix clip convolve sqrt interp nan_to_num real imag angle
i0 sinc
dot vdot inner outer matmul tensordot einsum kron trace vecdot matvec vecmat
sort lexsort argsort msort sort_complex partition argpartition argmax nanargmax argmin
nanargmin argwhere flatnonzero searchsorted count_nonzero
amax amin max min nanmax nanmin median nanmedian average mean std var nanmean nanstd
nanvar corrcoef correlate cov histogram histogram2d histogramdd bincount digitize
percentile nanpercentile quantile nanquantile
in1d intersect1d isin setdiff1d setxor1d union1d
packbits unpackbits binary_repr
apply_along_axis apply_over_axes piecewise
result_type can_cast promote_types min_scalar_type common_type issubdtype find_common_type
dtype finfo iinfo format_float_positional
save savez savez_compressed load base_repr
""".split()

# Scalar types and constants CuPy re-exports from NumPy
TYPES = """
bool_ byte ubyte short ushort intc uintc intp uintp int_ uint longlong ulonglong half
single double float64 float32 float16 longfloat csingle cdouble complex64 complex128
int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool generic number integer
signedinteger unsignedinteger inexact floating complexfloating character
e pi inf nan newaxis euler_gamma Inf Infinity NAN NaN NINF PINF NZERO PZERO
""".split()

# Methods for which CuPy's ufunc has .at (reference: cupy.ufunc.at)
UFUNC_METHODS = ["reduce", "accumulate", "reduceat", "outer", "at"]

# cupy.linalg (reference: "Linear algebra (cupy.linalg)")
LINALG = """
cholesky qr svd eigh eigvalsh eig eigvals norm cond det matrix_rank slogdet solve
tensorsolve lstsq inv pinv tensorinv matrix_power
""".split()
