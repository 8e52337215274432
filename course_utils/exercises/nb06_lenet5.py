"""Exercises of notebook 06_lenet5: C3's connection table (implement it), parameters and connections, the RBF output.

Keys ``06.1``, ``06.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Exercise ``06.5`` is an "implement it" exercise: the learner writes C3's connection table from the
paper's rule (LeCun et al. 1998, Table I) and :func:`check_c3_table` compares it with
``course_utils.layers.LENET_C3_TABLE``, says what looks wrong (wrap-around forgotten, maps numbered from 1,
a group of the wrong size, ...) and, when it is right, builds C3 from it and counts its parameters and
connections. A function that hands back the course's own table (``LENET_C3_TABLE``, or a name bound to
it) is refused: the exercise is to build it. The printed solution is a whole cell's worth of code with
the stub's name, so it runs when pasted.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("06.1", EXERCISES[0].answer)[0]
    True
    >>> built = c3_table()   # the reference solution's table, as a learner's function returns it
    >>> grade_c3_table(lambda: built)[0]
    True
    >>> grade_c3_table(lambda: LENET_C3_TABLE)[1]
    "Exercise 06.5: not yet: your function hands back the course's own table ..."
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from .. import arithmetic
from ..layers import LENET_C3_TABLE, PartialConv2D, connections, digit_codes
from . import Exercise, print_verdict, register

S2_MAPS = 6  # S2's feature maps, numbered 0 to 5
_LIBRARY_NAMES = frozenset({"LENET_C3_TABLE", "c3_table_from_the_rule"})  # names of the course's own table
_GROUPS = ((range(0, 6), 3, "3 neighbouring S2 maps"), (range(6, 12), 4, "4 neighbouring S2 maps"),
           (range(12, 15), 4, "4 S2 maps: two neighbouring pairs, one map apart"), (range(15, 16), 6, "all 6 S2 maps"))


def c3_table():
    """Return C3's connection table: 16 tuples, tuple j = the S2 maps (0-5) that C3 map j reads."""
    def ring(start, steps):  # S2's 6 maps in a ring: after map 5 comes map 0 again
        return tuple(sorted((start + step) % 6 for step in steps))

    three = [ring(j, (0, 1, 2)) for j in range(6)]       # maps 0-5: three neighbours from S2 map j on
    four = [ring(j, (0, 1, 2, 3)) for j in range(6)]     # maps 6-11: four neighbours from S2 map j on
    pairs = [ring(i, (0, 1, 3, 4)) for i in range(3)]    # maps 12-14: two pairs, one map skipped between
    return tuple(three + four + pairs + [tuple(range(6))])  # map 15: all six


c3_table_from_the_rule = c3_table
"""The reference solution of 06.5 (the paper's rule); its source, with the stub's name, is the printed solution."""


def _canonical(table: Any) -> tuple[tuple[int, ...], ...]:
    """The table as a tuple of sorted tuples of ints (each entry may be a list, tuple or set)."""
    return tuple(tuple(sorted(int(i) for i in entry)) for entry in table)


def _c3_params(table: Sequence[Sequence[int]], k: int = 5) -> int:
    """Parameters of a C3 with this table: one k x k kernel per connected S2 map, plus a bias, per C3 map."""
    return sum(arithmetic.conv_params(k, len(entry), 1) for entry in table)


def diagnose_c3_table(table: Any) -> str | None:
    """Return what is wrong with a learner's C3 table (16 entries of S2 map numbers), None if it is right."""
    try:
        entries = [list(entry) for entry in table]
    except TypeError:
        return (f"the table should be 16 entries, one per C3 map, each listing S2 maps, like ((0, 1, 2), ...); "
                f"got a value of type {type(table).__name__}.")
    if len(entries) != 16:
        return f"C3 has 16 maps, so the table needs 16 entries (one per C3 map); yours has {len(entries)}."
    for j, entry in enumerate(entries):
        if not all(isinstance(i, int) or hasattr(i, "__index__") for i in entry):
            return f"entry {j} ({entry!r}) should list S2 map numbers (ints from 0 to 5)."
    numbers = {int(i) for entry in entries for i in entry}
    if numbers and min(numbers) >= 1 and max(numbers) >= S2_MAPS:
        return _one_based(entries)
    for j, entry in enumerate(entries):
        if any(not 0 <= int(i) < S2_MAPS for i in entry):
            return (f"C3 map {j} reads S2 map {max(entry)}, but S2 has maps 0 to 5: the neighbours wrap around, "
                    "after map 5 comes map 0 again (use `% 6`).")
        if len(set(entry)) != len(entry):
            return f"C3 map {j} lists an S2 map twice ({sorted(entry)}): each S2 map is read at most once."
    table = _canonical(entries)
    for maps, size, what in _GROUPS:
        for j in maps:
            if len(table[j]) != size:
                short = " Did the neighbours stop at S2 map 5 instead of wrapping around to map 0?" \
                    if len(table[j]) < size and S2_MAPS - 1 in table[j] else ""
                return (f"C3 maps {maps.start}-{maps.stop - 1} read {what} each, but map {j} reads "
                        f"{len(table[j])} ({', '.join(map(str, table[j]))}).{short}")
    reference = _canonical(LENET_C3_TABLE)
    for maps, _, what in _GROUPS:
        wrong = [j for j in maps if table[j] != reference[j]]
        if not wrong:
            continue
        j = wrong[0]
        if sorted(table[j] for j in maps) == sorted(reference[j] for j in maps):
            return (f"maps {maps.start}-{maps.stop - 1} hold the right sets of S2 maps in another order: in the "
                    f"paper, C3 map {j} reads {_listed(reference[j])} (the first S2 map moves on by one per C3 map).")
        if maps.start == 12:
            return (f"C3 map {j} reads {_listed(table[j])}; maps 12-14 read two neighbouring pairs with one map "
                    f"skipped between them: map 12 + i reads S2 maps i, i+1, i+3, i+4, so map {j} reads "
                    f"{_listed(reference[j])}.")
        return f"C3 map {j} reads {_listed(table[j])}; maps {maps.start}-{maps.stop - 1} read {what}, so map {j} reads {_listed(reference[j])}."
    return None


def _one_based(entries: list[list[Any]]) -> str:
    """The diagnosis of a table that numbers S2's maps from 1 (1 to 6) instead of 0 (0 to 5)."""
    lowered = [[int(i) - 1 for i in entry] for entry in entries]
    rest = diagnose_c3_table(lowered)
    after = ("with every number lowered by one, your table is right." if rest is None
             else f"with every number lowered by one, this is left to fix: {rest}")
    return (f"your table numbers S2's maps from 1 to {max(int(i) for entry in entries for i in entry)}; the course "
            f"numbers them 0 to 5, as Python counts (C3 map 0 starts at S2 map 0): {after}")


def _listed(maps: Sequence[int]) -> str:
    return "S2 maps " + ", ".join(map(str, maps))


def _names_in(code: Any) -> set[str]:
    """The global and attribute names a code object uses, its nested functions', lambdas' and comprehensions' too."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_in(const)
    return names


_ABSENT = object()  # a name that is not a global of the learner's namespace (a builtin, an attribute)


def _reads_the_library_table(fn: Callable[..., Any]) -> str | None:
    """How ``fn`` reaches the course's own C3 table (a name, or a global bound to it), None if it does not.

    Looks at the names ``fn``'s code uses (``fn.__code__.co_names``, nested code included), what they are
    bound to in ``fn.__globals__`` and in its closure, and, one level down, helper functions of the same
    namespace that ``fn`` calls.
    """
    library = {id(LENET_C3_TABLE): "`course_utils.layers.LENET_C3_TABLE`", id(c3_table): "the course's reference solution"}
    seen: set[int] = set()

    def visit(f: Any, depth: int) -> str | None:
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen:
            return None
        seen.add(id(code))
        for cell in getattr(f, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if id(value) in library:
                return f"a variable bound to {library[id(value)]}"
        namespace = getattr(f, "__globals__", {})
        for name in sorted(_names_in(code)):
            if name in _LIBRARY_NAMES:
                return f"`{name}`"
            value = namespace.get(name, _ABSENT)
            if id(value) in library:
                return f"`{name}`, which is {library[id(value)]}"
            if depth > 0 and callable(value) and getattr(value, "__globals__", None) is namespace:
                found = visit(value, depth - 1)
                if found:
                    return f"{found}, through `{name}`"
        return None

    return visit(fn, 2)


def _is_library_object(table: Any) -> bool:
    """True when ``table``, or one of its entries, is the very object the course holds (not an equal copy)."""
    if table is LENET_C3_TABLE:
        return True
    try:
        entries = list(table)
    except TypeError:
        return False
    return any(entry is ref for entry in entries for ref in LENET_C3_TABLE)


def grade_c3_table(learner_fn: Callable[[], Any]) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's function that returns C3's connection table.

    The function must build the table: one that hands back ``course_utils.layers.LENET_C3_TABLE``
    (the object itself, one of its entries, or any name that reaches it) is refused with a message
    that says so.
    """
    label = "Exercise 06.5"
    stuck = " (Stuck? `course_utils.solution('06.5')` shows a worked solution.)"
    try:
        table = learner_fn()
    except NotImplementedError:
        return False, f"{label}: not implemented yet: replace `raise NotImplementedError` with your code and run the cell again."
    except Exception as e:  # the learner's bug: say what, without a wall of traceback
        return False, f"{label}: your function raised {type(e).__name__}: {e}. Call it in a cell of its own to see the line."
    if table is None:
        return False, f"{label}: your function returned None: did you forget `return`?"
    reached = "is the course's reference solution" if learner_fn is c3_table else _reads_the_library_table(learner_fn)
    if reached is not None or _is_library_object(table):
        how = (reached if reached.startswith("is ") else f"it reads {reached}") if reached else "it returns the library's object"
        return False, (f"{label}: not yet: your function hands back the course's own table ({how}), the one it is "
                       "checked against: build the table from the rule of section 2.2, with a loop or two and `% 6`."
                       f"{stuck}")
    problem = diagnose_c3_table(table)
    if problem is not None:
        return False, f"{label}: not yet: {problem}{stuck}"
    params, connections = _c3_built_from(_canonical(table))
    return True, (f"{label}: correct: your table equals course_utils.layers.LENET_C3_TABLE; C3 built from it has "
                  f"{params:,} parameters and {connections:,} connections on S2's 14 x 14 maps (the paper: 1,516 and 151,600).")


def _c3_built_from(table: tuple[tuple[int, ...], ...]) -> tuple[int, int]:
    """Build C3 (PartialConv2D) from ``table`` on 14 x 14 x 6 inputs; return (parameters, connections)."""

    model = keras.Sequential([keras.Input((14, 14, S2_MAPS)), PartialConv2D(table, 5, name="C3")])
    layer = model.get_layer("C3")
    return layer.count_params(), connections(layer)[0]


def check_c3_table(learner_fn: Callable[[], Any]) -> None:
    """Check a learner's C3 connection table (exercise 06.5): print what is right, or what is wrong and why."""
    print_verdict("06.5", grade_c3_table(learner_fn))


def _same_table(given: Any, expected: Any) -> bool:
    """The ``compare`` of 06.5: a table equal to the expected one, or a function that passes :func:`grade_c3_table`."""
    if callable(given):
        return grade_c3_table(given)[0]
    try:
        return _canonical(given) == _canonical(expected)
    except TypeError:
        return False


def _without_wrap_around() -> tuple[tuple[int, ...], ...]:
    """The typical mistake: neighbours that stop at S2 map 5 instead of wrapping around to map 0."""
    table = list(c3_table_from_the_rule())
    for j in range(6):
        table[j] = tuple(i for i in range(j, j + 3) if i < S2_MAPS)
        table[6 + j] = tuple(i for i in range(j, j + 4) if i < S2_MAPS)
    return tuple(table)


def _pairs_as_neighbours() -> tuple[tuple[int, ...], ...]:
    """Maps 12-14 given four neighbouring maps, like maps 6-8."""
    table = list(c3_table_from_the_rule())
    table[12:15] = table[6:9]
    return tuple(table)


def _shifted_by_one() -> tuple[tuple[int, ...], ...]:
    """Maps 0-5 starting one S2 map early: map j reads j-1, j, j+1."""
    table = list(c3_table_from_the_rule())
    table[:6] = [table[(j - 1) % 6] for j in range(6)]
    return tuple(table)


def _numbered_from_one() -> tuple[tuple[int, ...], ...]:
    """S2's maps numbered 1 to 6, the rule otherwise right."""
    return tuple(tuple(i + 1 for i in entry) for entry in c3_table())


def _groups_of_four_first() -> tuple[tuple[int, ...], ...]:
    table = c3_table_from_the_rule()
    return table[6:12] + table[:6] + table[12:]


_C3_MISTAKES = (_without_wrap_around(), _pairs_as_neighbours(), _shifted_by_one(), _groups_of_four_first(),
                c3_table()[:15], _numbered_from_one())
_C3_PARAMS = _c3_params(LENET_C3_TABLE)  # 1,516, as the paper's Table I gives
_C3_3X3_PARAMS = _c3_params(LENET_C3_TABLE, k=3)
_SIDE_36 = arithmetic.conv_output_size(arithmetic.pool_output_size(arithmetic.conv_output_size(36, 5), 2), 5)

_SOLUTION_06_5 = ("from course_utils.exercises.nb06_lenet5 import check_c3_table\n\n\n" + inspect.getsource(c3_table)
                  + "\n\ncheck_c3_table(c3_table)\n")  # the notebook's exercise cell with the stub replaced
_REFERENCE_ANSWER = c3_table()  # 06.5's registered answer: built from the rule, not the library's object


def _probability_of_own_code(digit: int, scale: float, squared: bool = True, per_pixel: bool = False,
                             sign: float = -1.0) -> float:
    """softmax(-scale * y)[digit] when F6 outputs exactly ``digit``'s code: y = RBF distances to the 10 codes (06.4).

    ``squared``, ``per_pixel`` and ``sign`` make the typical slips: Euclidean distances, differing pixels
    counted instead of squared differences, the minus sign forgotten.
    """
    codes = digit_codes().astype(np.float64)
    y = np.sum((codes - codes[digit]) ** 2, axis=1)  # y_i = sum over j of (x_j - w_ij)^2, x = the code itself
    y = y if squared else np.sqrt(y)
    y = y / 4 if per_pixel else y
    z = sign * scale * y
    e = np.exp(z - z.max())  # the softmax, written so that exp cannot overflow
    return round(float(e[digit] / e.sum()), 3)


def _own_code_answer(**slip: Any) -> tuple[float, float]:
    return _probability_of_own_code(0, 1.0, **slip), _probability_of_own_code(0, 0.1, **slip)


def _close_to(given: Any, expected: Any) -> bool:
    """06.4's answer: two probabilities, each within half a unit of the third decimal."""
    return (isinstance(given, tuple) and len(given) == len(expected)
            and all(isinstance(g, (int, float)) and abs(g - e) <= 5e-4 for g, e in zip(given, expected)))


_OWN_CODE = _own_code_answer()
_OWN_CODE_NEAREST = float(np.sort(np.sum((digit_codes() - digit_codes()[0]) ** 2, axis=1))[1])

EXERCISES = (
    Exercise(
        key="06.1",
        question="Keep LeNet's connection table but give C3 3 x 3 kernels instead of 5 x 5. How many parameters has C3?",
        answer=_C3_3X3_PARAMS,
        solution=f"Each C3 map has one 3 x 3 kernel per S2 map it reads, plus a bias: (3*3*3+1)*6 + (3*3*4+1)*9 + "
        f"(3*3*6+1)*1 = {_C3_3X3_PARAMS:,}, against {_C3_PARAMS:,} with 5 x 5 kernels.",
        mistakes={
            _C3_3X3_PARAMS - 16: "each of the 16 C3 maps also has a bias: (3*3*n+1) per map reading n S2 maps.",
            arithmetic.conv_params(3, 6, 16): "that is a full 3 x 3 convolution (every map reads all 6 S2 maps); "
            "keep the table: 6 maps read 3, 9 read 4, 1 reads 6.",
            _C3_PARAMS: "that is C3 with its 5 x 5 kernels; the question asks for 3 x 3.",
        },
    ),
    Exercise(
        key="06.2",
        question="Without padding MNIST to 32x32, what side would S4's feature maps have (28 -> C1 -> S2 -> C3 -> S4)?",
        answer=arithmetic.pool_output_size(arithmetic.conv_output_size(arithmetic.pool_output_size(arithmetic.conv_output_size(28, 5), 2), 5), 2),
        solution="28-5+1 = 24, /2 = 12, 12-5+1 = 8, /2 = 4: S4 would be 4x4, too small for C5's 5x5 kernel. "
        "Padding by 2 keeps strokes near the border away from the edge and gives 5x5 at S4.",
        mistakes={
            5: "5 is the side with the padded 32x32 input; start from 28.",
            6: "a 5x5 'valid' convolution removes 4 pixels (n - k + 1), not 2.",
            1: "that would be C5's side; the question stops at S4.",
        },
    ),
    Exercise(
        key="06.3",
        question="Pad the digits by 4 pixels instead of 2 (a 36 x 36 input). How many connections has C3 then?",
        answer=_C3_PARAMS * _SIDE_36 ** 2,
        solution=f"36 -> C1 {arithmetic.conv_output_size(36, 5)} -> S2 {arithmetic.conv_output_size(36, 5) // 2} -> "
        f"C3 {_SIDE_36} x {_SIDE_36}. Every C3 unit uses its map's kernels and bias once: {_C3_PARAMS:,} * "
        f"{_SIDE_36}*{_SIDE_36} = {_C3_PARAMS * _SIDE_36 ** 2:,} connections; the parameters stay {_C3_PARAMS:,}.",
        mistakes={
            _C3_PARAMS * 100: "that is C3 on the 32 x 32 input (10 x 10 maps); with 36 x 36 the maps are larger.",
            _C3_PARAMS: "that counts parameters; every position of C3's maps uses them again: multiply by the map size.",
            _C3_PARAMS * 16 * 16: "16 x 16 is S2's map size; C3's 5 x 5 'valid' convolution makes it 12 x 12.",
        },
    ),
    Exercise(
        key="06.4",
        question="F6 outputs exactly digit 0's code, so the RBF distance to digit 0 is 0. What probability does the "
        "classic LeNet's output, softmax(-s * distances), give digit 0 with the paper's s = 1 and with this notebook's "
        "s = 0.1? Answer (p with s = 1, p with s = 0.1), each rounded to 3 decimals.",
        answer=_OWN_CODE,
        solution=f"The distances are those of digit 0's code to the ten codes, `y = ((codes - codes[0]) ** 2).sum(axis=1)` "
        f"(or row 0 of `rbf(codes)` in section 2.3): 0 to itself, {_OWN_CODE_NEAREST:.0f} to the nearest other code. "
        f"Then p = exp(-s * y[0]) / sum(exp(-s * y)): {_OWN_CODE[0]:.3f} with s = 1 and {_OWN_CODE[1]:.3f} with s = 0.1. "
        "With s = 1 the softmax is saturated already: the loss -log p is about 0 and the image sends (almost) no "
        "gradient; s = 0.1 leaves room to learn, as section 2.3 says.",
        mistakes={
            _own_code_answer(sign=1.0): "the output is softmax(-s * y): the smallest distance must get the largest "
            "probability, so the distances enter with a minus sign.",
            _own_code_answer()[::-1]: "first s = 1 (the paper), then s = 0.1 (this notebook).",
            _own_code_answer(squared=False): "the RBF outputs are squared distances, sum of (x_j - w_ij)^2, "
            "not their square roots.",
            _own_code_answer(per_pixel=True): "that counts the pixels in which the codes differ; each one adds "
            "(1 - (-1))^2 = 4 to the squared distance.",
        },
        compare=_close_to,
    ),
    Exercise(
        key="06.5",
        question="Implement c3_table(): C3's connection table from the paper's rule (16 entries, entry j = the S2 "
        "maps that C3 map j reads). Check it with check_c3_table(c3_table).",
        answer=_REFERENCE_ANSWER,
        solution="One way, counting round the ring of S2's 6 maps with `% 6`; the exercise's cell, solved (paste it "
        "in place of that cell and run it):\n\n" + _SOLUTION_06_5,
        mistakes={table: diagnose_c3_table(table) for table in _C3_MISTAKES},
        compare=_same_table,
    ),
)

register(*EXERCISES, origin=__name__)
