"""Notebook parameters: invariants of the table, and the table against what each notebook reads.

The table (base values plus per-profile differences) is checked for what must hold whatever its
sizes are, so that changing a size is one edit, not two: overrides only of base values and never
equal to them, one type per parameter, smoke no larger than classroom, gpu and full no smaller (full no
smaller than gpu either; seconds aside, which a faster device needs fewer of), and each
notebook's ``parameters`` cell reading exactly its entry's parameters.
"""

import ast
import json
import re

import pytest

import course_utils
from course_utils import profiles
from course_utils.course import NOTEBOOKS, notebooks_dir
from course_utils.profiles import NOTEBOOK_PARAMS

PROFILES = ("smoke", "classroom", "gpu", "full")  # "classroom" is the base: it has no section of its own
# Parameters ordered by size: (smoke <= classroom <= full). None is "all of it" (the whole split, each
# model's native input, every model), larger than any number, except for seconds, where None means
# "no time plan: whole epochs" and is not compared.
SIZE = re.compile(r"(^|_)(size|images|side|width|shown|steps|seeds|cases|draws|repeats|parameters)$")
EPOCHS = re.compile(r"(^|_)epochs$")
SECONDS = re.compile(r"(^|_)seconds$")


def _values(notebook: str, profile: str) -> dict:
    table = NOTEBOOK_PARAMS[notebook]
    return {**table["base"], **table.get(profile, {})}


def _numeric(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _at_most(small, large) -> bool:
    """``small <= large`` for sizes, with None (all of it) above every number."""
    return large is None or (small is not None and small <= large)


def _parameters_cell(stem: str) -> tuple[str, list[str]]:
    """The source of the notebook's cell tagged ``parameters`` and the sources of its other code cells."""
    cells = json.loads((notebooks_dir() / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) <= 1, f"{stem}: {len(tagged)} cells tagged parameters"
    others = ["".join(c["source"]) for c in code if c not in tagged]
    return ("".join(tagged[0]["source"]) if tagged else ""), others


def _params_names(tree: ast.AST, stem: str) -> set[str]:
    """Names the cell binds to the notebook's parameters: ``P = course_utils.params("<stem>")`` (or ``x.params``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "attr", getattr(value.func, "id", None)) == "params":
                assert [a.value for a in value.args if isinstance(a, ast.Constant)] in ([stem], []), (
                    f"{stem}'s parameters cell asks for another notebook's parameters: {ast.unparse(value)}")
                names.add(node.targets[0].id)
            elif isinstance(value, ast.Attribute) and value.attr == "params":
                names.add(node.targets[0].id)
    return names


def _reads(tree: ast.AST, names: set[str]) -> set[str]:
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id in names}


def _with_parameters_cell() -> list[str]:
    return [nb.stem for nb in NOTEBOOKS if (notebooks_dir() / nb.filename).is_file() and _parameters_cell(nb.stem)[0]]


def test_every_notebook_with_a_parameters_cell_has_an_entry_and_no_entry_is_orphaned():
    with_cell = _with_parameters_cell()
    assert len(with_cell) >= 16  # every notebook of the course map has one today (00-12, A1-A3)
    assert set(with_cell) == set(NOTEBOOK_PARAMS), "a parameters cell needs an entry, an entry its notebook"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_PARAMS))
def test_overrides_are_base_parameters_that_differ_from_base(notebook):
    table = NOTEBOOK_PARAMS[notebook]
    assert set(table) <= {"base", "smoke", "gpu", "full"}, f"sections {sorted(table)}: base is the classroom profile"
    assert table["base"], "an entry without base values"
    for profile in ("smoke", "gpu", "full"):
        for name, value in table.get(profile, {}).items():
            assert name in table["base"], f"{profile} sets {name}, which has no base value (a typo?)"
            same = value == table["base"][name] and type(value) is type(table["base"][name])
            assert not same, f"{profile} repeats base's {name}={value!r}: one edit would have to be made twice"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_PARAMS))
def test_each_parameter_has_one_type_in_every_profile(notebook):
    for name in NOTEBOOK_PARAMS[notebook]["base"]:
        values = [_values(notebook, profile)[name] for profile in PROFILES]
        kinds = {type(v) for v in values if v is not None}  # None: "all of it", "native", "no time plan"
        assert len(kinds) <= 1, f"{name}: {values} (1 and 1.0 compare equal but are not the same parameter)"
        if kinds == {tuple}:
            items = {type(item) for value in values for item in value}
            assert len(items) == 1 and all(value for value in values), f"{name}: {values}"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_PARAMS))
def test_smoke_is_never_larger_than_classroom_nor_full_smaller(notebook):
    smoke, classroom, gpu, full = (_values(notebook, profile) for profile in PROFILES)
    for name, value in classroom.items():
        if SIZE.search(name) or EPOCHS.search(name):  # gpu: the classroom's networks on more data, for more epochs
            assert _at_most(value, gpu[name]), f"gpu {name}={gpu[name]!r} is smaller than classroom's {value!r}"
            assert _at_most(gpu[name], full[name]), f"full {name}={full[name]!r} is smaller than gpu's {gpu[name]!r}"
        if SECONDS.search(name):
            pairs = [(a, b) for a, b in [(smoke[name], value), (value, full[name])] if None not in (a, b)]
            assert all(a <= b for a, b in pairs), f"{name}: smoke {smoke[name]}, classroom {value}, full {full[name]}"
        elif SIZE.search(name) or EPOCHS.search(name):
            assert _at_most(smoke[name], value), f"smoke {name}={smoke[name]!r} is larger than classroom's {value!r}"
            assert _at_most(value, full[name]), f"full {name}={full[name]!r} is smaller than classroom's {value!r}"
            assert smoke[name] is None or (_numeric(smoke[name]) and smoke[name] > 0), f"{name}: {smoke[name]!r}"


def test_the_size_patterns_cover_the_sizes():
    names = {name for table in NOTEBOOK_PARAMS.values() for name in table["base"]}
    ordered = {name for name in names if SIZE.search(name) or EPOCHS.search(name) or SECONDS.search(name)}
    assert {"train_size", "test_size", "batch_size", "epochs", "train_seconds", "learn_steps", "width"} <= ordered
    assert not {"learning_rate", "dropout_rate", "model", "steps_per_execution"} & ordered
    assert len(ordered) >= 40  # 48 today: a pattern that stopped matching would make the test above empty


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_PARAMS))
def test_the_parameters_cell_reads_exactly_the_entry(notebook):
    cell, others = _parameters_cell(notebook)
    tree = ast.parse(cell)
    names = _params_names(tree, notebook)
    assert names, f"{notebook}'s parameters cell binds no name to course_utils.params({notebook!r})"
    table = set(NOTEBOOK_PARAMS[notebook]["base"])
    reads = _reads(tree, names)
    assert not reads - table, f"read but not in the table: {sorted(reads - table)}"
    assert not table - reads, f"in the table but never read by the parameters cell: {sorted(table - reads)}"
    # each constant is named for the parameter it holds: TRAIN_SIZE = P.train_size, never EPOCHS = P.plain_epochs
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            targets, value = node.targets[0], node.value
            pairs = (zip(targets.elts, value.elts) if isinstance(targets, ast.Tuple) and isinstance(value, ast.Tuple)
                     else [(targets, value)])
            for target, read in pairs:
                if isinstance(read, ast.Attribute) and isinstance(read.value, ast.Name) and read.value.id in names:
                    assert isinstance(target, ast.Name) and target.id == read.attr.upper(), ast.unparse(node)
    # later cells use the constants, which papermill and instructors override, never the parameters themselves
    for source in others:
        python = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        later = ast.parse(python)  # without IPython's magics and shell lines
        bypass = _reads(later, names) & table
        assert not bypass, f"a later cell reads {sorted(bypass)} from the parameters, bypassing the constants"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_PARAMS))
@pytest.mark.parametrize("profile", PROFILES)
def test_params_gives_the_base_values_updated_with_the_profiles(notebook, profile):
    p = course_utils.params(notebook, profile)
    values = {k: v for k, v in vars(p).items() if k != "profile"}
    assert values == _values(notebook, profile) and list(values) == list(NOTEBOOK_PARAMS[notebook]["base"])
    assert all(type(v) is type(_values(notebook, profile)[k]) for k, v in values.items())
    assert p.profile == profile


# A made-up entry shaped like 07_alexnet's, so that the printing tests do not move when a real size does
_DEMO = {
    "base": {"train_size": 5000, "test_size": 1000, "batch_size": 64, "epochs": 10, "model": "small",
             "learning_rate": 1e-3, "crop_size": 28, "act_train_size": 2000, "act_epochs": 30,
             "act_target_error": 0.25, "pool_seeds": 2},
    "smoke": {"epochs": 1},
    "full": {"train_size": None, "test_size": None, "batch_size": 128, "epochs": 30, "model": "paper"},
}


def test_printing_shows_values_and_what_differs_from_base(monkeypatch):
    monkeypatch.setitem(NOTEBOOK_PARAMS, "99_demo", _DEMO)
    text = str(profiles.params("99_demo", "full"))
    assert text.startswith("99_demo (full): train_size=None (base 5000), test_size=None (base 1000),")
    assert "epochs=30 (base 10)" in text and "model='paper' (base 'small')" in text
    assert "crop_size=28," in text and "crop_size=28 (" not in text  # same in every profile: no base note
    assert all(len(line) <= 100 for line in text.splitlines()) and len(text.splitlines()) > 1
    classroom = repr(profiles.params("99_demo", "classroom"))
    assert "(base" not in classroom and "batch_size=64, epochs=10" in classroom
    assert profiles.params("99_demo", "smoke").differences() == {"epochs": (1, 10)}


def test_a_learner_change_shows_in_the_printout():
    p = profiles.params("06_lenet5", "classroom")
    base = NOTEBOOK_PARAMS["06_lenet5"]["base"]["modern_epochs"]
    p.modern_epochs = base + 1
    assert f"modern_epochs={base + 1} (base {base})" in str(p) and p.differences() == {"modern_epochs": (base + 1, base)}
    assert "_base" not in vars(p) and "_notebook" not in vars(p)


def test_an_override_without_base_value_is_an_error(monkeypatch):
    table = {"base": {"epochs": 1}, "full": {"epohcs": 3}}
    monkeypatch.setitem(NOTEBOOK_PARAMS, "98_typo", table)
    with pytest.raises(ValueError, match="sets epohcs without a base value"):
        profiles.params("98_typo", "full")
    assert profiles.params("98_typo", "smoke").epochs == 1
    monkeypatch.setitem(NOTEBOOK_PARAMS, "98_typo", {"base": {}, "laptop": {}})
    with pytest.raises(ValueError, match="sections"):
        profiles.params("98_typo", "smoke")
