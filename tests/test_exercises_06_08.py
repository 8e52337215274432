"""Notebooks 06-08 (issue 25): checkers that the library's own objects cannot fool, diagnoses that name the slip,
printed solutions that run when pasted, exercises that are not look-ups, and sources named by their handles."""

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from keras import layers as keras_layers

import course_utils
from course_utils import exercises, models
from course_utils.exercises import nb06_lenet5 as nb06
from course_utils.exercises import nb07_alexnet as nb07
from course_utils.exercises import nb08_vgg16 as nb08
from course_utils.layers import LENET_C3_TABLE, digit_codes, lrn_numpy

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("06_lenet5", "07_alexnet", "08_vgg16")

# The paper's Table I (LeCun et al. 1998), typed out: what a learner may build, as fresh objects.
TABLE_I = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (2, 3, 5, 0),
    (0, 1, 2, 3, 4, 5),
)
REFUSED = "your function hands back the course's own table"


def _cells(stem: str) -> list[dict]:
    return json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _notebook_function(namespace_code: str, name: str, extra_globals: dict | None = None):
    """A function defined as a learner defines it in a notebook cell: its globals are the notebook's namespace."""
    namespace = {"__name__": "__main__", **(extra_globals or {})}
    exec(namespace_code, namespace)
    return namespace[name]


def _run_pasted(code: str) -> str:
    """Run a printed solution as a learner pastes it into a fresh cell; return what it prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<pasted solution>", "exec"), {"__name__": "__main__"})
    return out.getvalue()


def _solution_code(key: str) -> str:
    """The code part of a printed solution: the block between the first blank line and the next prose line."""
    text = exercises.exercise(key).solution
    code = text.split("\n\n", 1)[1]
    return code.split("\nThe course's ", 1)[0]


def _stub_def(stem: str, name: str) -> str:
    lines = [line for cell in _cells(stem) if cell["cell_type"] == "code"
             for line in _source(cell).splitlines() if line.startswith(f"def {name}(")]
    assert len(lines) == 1, lines
    return lines[0]


# --- 06.5: the library's table is refused ---------------------------------------------------------

@pytest.mark.parametrize("code, extra", [
    ("def c3_table():\n    return LENET_C3_TABLE\n", {"LENET_C3_TABLE": LENET_C3_TABLE}),
    ("def c3_table():\n    return C3_TABLE\n", {"C3_TABLE": LENET_C3_TABLE}),  # notebook 06's own name for it
    ("def c3_table():\n    return [list(e) for e in lenet_layers.LENET_C3_TABLE]\n",
     {"lenet_layers": course_utils.layers}),  # an equal copy, read through an attribute
    ("def c3_table():\n    return copy()\n\ndef copy():\n    return tuple(tuple(e) for e in C3_TABLE)\n",
     {"C3_TABLE": LENET_C3_TABLE}),  # through a helper of the notebook
    ("def c3_table():\n    return ref()\n", "the reference"),  # the reference solution, looked up when the test runs
    ("def c3_table():\n    return list(nb06.LENET_C3_TABLE)\n", {"nb06": nb06}),
])
def test_06_5_refuses_the_library_table_however_reached(code, extra):
    if extra == "the reference":  # not at collection: another test may reload the module (a new function object)
        extra = {"ref": nb06.c3_table_from_the_rule}
    ok, message = nb06.grade_c3_table(_notebook_function(code, "c3_table", extra))
    assert not ok and REFUSED in message, message
    assert "build the table from the rule of section 2.2" in message


def test_06_5_refuses_the_library_object_itself_and_its_entries():
    table = LENET_C3_TABLE
    for learner in (lambda: table, lambda: list(table)):  # a closure; a new list holding the library's tuples
        ok, message = nb06.grade_c3_table(learner)
        assert not ok and REFUSED in message, message


def test_06_5_a_table_built_or_typed_by_the_learner_passes():
    typed = _notebook_function(f"def c3_table():\n    return {TABLE_I!r}\n", "c3_table")
    assert nb06.grade_c3_table(typed)[0]
    assert nb06.grade_c3_table(lambda: TABLE_I)[0]
    assert nb06.grade_c3_table(lambda: exercises.exercise("06.5").answer)[0]  # as tests/test_progress.py hands it over
    assert exercises.grade("06.5", typed)[0]  # check("06.5", c3_table) grades the function
    assert not exercises.grade("06.5", lambda: LENET_C3_TABLE)[0]
    ok, message = nb06.grade_c3_table(nb06.c3_table)  # the course's reference function itself
    assert not ok and "(is the course's reference solution)" in message


def test_06_5_a_one_based_table_is_diagnosed_as_one_based_not_as_wrap_around():
    one_based = tuple(tuple(i + 1 for i in entry) for entry in TABLE_I)
    ok, message = nb06.grade_c3_table(lambda: one_based)
    assert not ok
    assert "numbers S2's maps from 1 to 6; the course numbers them 0 to 5" in message
    assert "with every number lowered by one, your table is right." in message
    assert "wrap" not in message
    # one-based and without the wrap-around: both said, in that order
    no_wrap = tuple(tuple(i + 1 for i in entry) for entry in nb06._without_wrap_around())
    ok, message = nb06.grade_c3_table(lambda: no_wrap)
    assert not ok and message.index("from 1 to 6") < message.index("wrapping around")
    # a zero-based table that runs past map 5 is still the wrap-around mistake
    past = list(TABLE_I)
    past[4] = (4, 5, 6)
    assert "the neighbours wrap around" in nb06.grade_c3_table(lambda: past)[1]


def test_06_5_printed_solution_runs_when_pasted_and_has_the_stubs_name():
    code = _solution_code("06.5")
    assert "Sequence" not in code
    definition = [line for line in code.splitlines() if line.startswith("def ")]
    assert definition == [_stub_def("06_lenet5", "c3_table")]
    assert _run_pasted(code).startswith("Exercise 06.5: correct: your table equals")


# --- 06.4: a question that applies section 2.3, not a look-up ---------------------------------------

def test_06_4_asks_for_softmax_of_rbf_distances_through_the_keras_layer():
    rbf = models.lenet5_classic().get_layer("output")
    distances = np.asarray(rbf(digit_codes()))[0].astype(np.float64)  # digit 0's code against the ten codes
    expected = []
    for s in (1.0, 0.1):
        e = np.exp(-s * (distances - distances.min()))
        expected.append(round(float(e[0] / e.sum()), 3))
    assert exercises.grade("06.4", tuple(expected))[0]
    assert expected[1] < 0.995 < expected[0]  # s = 1 saturates; s = 0.1 leaves room to learn
    assert exercises.grade("06.4", (1.0, 0.9804))[0]  # more decimals are fine
    assert not exercises.grade("06.4", (1.0, 0.97))[0]
    ok, message = exercises.grade("06.4", (expected[1], expected[0]))
    assert not ok and "first s = 1" in message
    # the answer is not on the page: no cell of 06 states it or prints it
    cells = _cells("06_lenet5")
    page = "\n".join([_source(c) for c in cells] + [json.dumps(c.get("outputs", [])) for c in cells])
    assert not re.search(r"\b0\.980?\b", page)


def test_06_blank_answers_follow_the_one_convention():
    code = "\n".join(_source(c) for c in _cells("06_lenet5") if c["cell_type"] == "code")
    assert not re.search(r"""check\(["']06\.\d["'],\s*None\)""", code)
    for i in range(1, 5):
        assert re.search(rf"^answer_{i} = None  # 06\.{i}: ", code, re.M)
        assert f'course_utils.check("06.{i}", answer_{i})' in code


# --- 07.5: every argument is tested --------------------------------------------------------------

def _lrn(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    a = np.asarray(a, np.float64)
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        b[..., i] = a[..., i] / (k + alpha * np.sum(a[..., lo:hi + 1] ** 2, axis=-1)) ** beta
    return b


def _ignoring_all(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    return _lrn(a)


def _wrapping(a, k=2.0, n=5, alpha=1e-4, beta=0.75):  # written another way than the library's diagnosis
    squares = np.asarray(a, np.float64) ** 2
    total = sum(np.roll(squares, shift, axis=-1) for shift in range(-(n // 2), n // 2 + 1))  # a ring of channels
    return a / (k + alpha * total) ** beta


def test_07_5_a_right_function_passes_and_the_settings_vary_every_argument():
    ok, message = nb07.grade_lrn(_lrn)
    assert ok and "over 4 random inputs" in message, message
    settings = [s for s in nb07.LRN_SETTINGS if s is not None]
    assert nb07.LRN_SETTINGS[0] is None and len(settings) >= 3
    for setting in settings:
        assert all(v != p for v, p in zip(setting, nb07.PAPER_LRN)), setting  # none can be ignored unseen
        assert setting[1] % 2 == 1  # n odd: the window is centred, and the Keras layer takes it
    assert len({s[1] for s in settings}) == len(settings)
    make, rng = nb07.lrn_cases(), np.random.default_rng(0)
    channels = {make(rng)[0].shape[-1] for _ in nb07.LRN_SETTINGS}
    assert len(channels) >= 2  # several channel counts


def test_07_5_ignoring_the_arguments_is_caught_and_named():
    ok, message = nb07.grade_lrn(_ignoring_all)
    assert not ok and "the function ignores its arguments" in message, message
    for name, fixed in (("k", 2.0), ("n", 5), ("alpha", 1e-4), ("beta", 0.75)):
        def ignoring_one(a, k=2.0, n=5, alpha=1e-4, beta=0.75, name=name, fixed=fixed):
            given = {"k": k, "n": n, "alpha": alpha, "beta": beta, name: fixed}
            return _lrn(a, **given)

        ok, message = nb07.grade_lrn(ignoring_one)
        assert not ok and f"the function ignores its argument {name} " in message, (name, message)


def test_07_5_a_window_that_wraps_around_the_channels_is_named_with_yours_vs_expected():
    ok, message = nb07.grade_lrn(_wrapping)
    assert not ok
    assert "the window wraps around the channel axis" in message
    assert "first at output index" in message and "yours" in message and "expected" in message


def test_07_5_defaults_other_than_the_papers_are_named():
    def wrong_defaults(a, k=2.0, n=3, alpha=1e-4, beta=0.75):
        return _lrn(a, k, n, alpha, beta)

    ok, message = nb07.grade_lrn(wrong_defaults)
    assert not ok and "the defaults of your function (n=3) should be the paper's" in message


def test_07_5_the_registered_answer_and_mistakes_agree_with_the_checker():
    assert exercises.grade("07.5", _lrn)[0]
    assert not exercises.grade("07.5", _ignoring_all)[0]
    assert not exercises.grade("07.5", lrn_numpy)[0]  # the reference itself is refused (course_utils.exercises.grade)


def test_07_5_printed_solution_runs_when_pasted_and_has_the_stubs_name():
    code = _solution_code("07.5")
    assert [line for line in code.splitlines() if line.startswith("def ")] == [_stub_def("07_alexnet", "local_response_norm")]
    assert _run_pasted(code).startswith("Exercise 07.5: correct: max |diff|")


def test_07_4_padded_crops_worked_by_hand():
    # 32 + 2 * 4 = 40 pixels; a 32 window at 40 - 32 + 1 = 9 positions per axis; 9 * 9 * 2 flips = 162
    assert exercises.exercise("07.4").answer == 162
    assert not exercises.grade("07.4", 128)[0]  # (40 - 32)^2 * 2, the + 1 forgotten
    assert "8 pixels wider" in exercises.grade("07.4", 50)[1]  # padded by 4 in all, 36 pixels


def test_07_retracing_cause_is_fixed_in_the_notebook():
    """Section 2.3's loop predicts with one batch shape: a smaller last batch made each new model trace twice."""
    cell = next(_source(c) for c in _cells("07_alexnet") if "pool_test = " in _source(c))
    assert "pool_test = course_utils.data.make_dataset(x_test, y_test, test_batch)" in cell
    test_batch = lambda n: max(b for b in range(1, 257) if n % b == 0)  # noqa: E731 (the notebook's expression)
    for n in (100, 1000, 1017, 10_000):
        assert n % test_batch(n) == 0 and n // test_batch(n) >= 1


# --- 08 ----------------------------------------------------------------------------------------

def test_08_5_same_pooling_is_named():
    def same_pooling(x, filters, convs):
        for _ in range(convs):
            x = keras_layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        return keras_layers.MaxPooling2D(2, padding="same")(x)

    ok, message = nb08.grade_vgg_block(same_pooling)
    assert not ok and "the pooling has padding='same', which rounds an odd side up" in message, message


def test_08_5_printed_solution_runs_when_pasted_and_has_the_stubs_name():
    code = _solution_code("08.5")
    assert [line for line in code.splitlines() if line.startswith("def ")] == [_stub_def("08_vgg16", "vgg_block")]
    assert _run_pasted(code).startswith("Exercise 08.5: correct: output shapes and parameter counts")


def test_08_4_worked_by_hand():
    # 1 + 2n >= 11 -> n = 5 layers; 5 * 9 = 45 weights per channel pair; one 11 x 11 kernel 121
    assert exercises.exercise("08.4").answer == (5, 45, 121)
    ok, message = exercises.grade("08.4", (4, 36, 121))
    assert not ok and "one more is needed" in message


# --- the three notebooks' text ---------------------------------------------------------------

SEED_ARTICLE = re.compile(r"\bseeds? ?0\d\d\b|seed article|seed listing|the seed's|\bSEED_0|seed_trace|seed_shapes",
                          re.IGNORECASE)


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_sources_are_named_by_handle_and_papers_cited_by_author_and_year(stem):
    text = "\n".join(_source(c) for c in _cells(stem))
    assert not SEED_ARTICLE.search(text), SEED_ARTICLE.search(text)
    assert "Bottou" not in text and "(Simonyan & Zisserman" not in text
    markdown = "\n".join(_source(c) for c in _cells(stem) if c["cell_type"] == "markdown")
    assert "(00_start_here.ipynb#Sources)" in markdown


@pytest.mark.parametrize("stem", ("07_alexnet", "08_vgg16"))
def test_the_strategy_is_library_business(stem):
    text = "\n".join(_source(c) for c in _cells(stem))
    assert "strategy" not in text and "MirroredStrategy" not in text
    assert "run.build(models." in text


def test_solutions_are_not_typed_twice_in_the_notebooks():
    for stem in NOTEBOOKS:
        details = next(_source(c) for c in _cells(stem) if "<summary>Solutions" in _source(c))
        body = details[details.index("<summary>"):details.index("</details>")]
        assert "course_utils.solution(" in body and not re.search(r"^- \d\d\.\d:", body, re.M), stem
