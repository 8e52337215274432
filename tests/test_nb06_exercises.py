"""Notebook 06's "implement it" exercise (06.5, C3's connection table): the reference passes, each
typical mistake gets its diagnosis, and a right table gives the paper's 1,516 parameters and 151,600
connections. Also the new answers of 06.1 and 06.3, worked by hand."""

import pytest

from course_utils import exercises
from course_utils.exercises import nb06_lenet5 as nb06

# The paper's Table I (LeCun et al. 1998), written out column by column: the S2 maps each C3 map reads.
TABLE_I = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (2, 3, 5, 0),
    (0, 1, 2, 3, 4, 5),
)
CORRECT = ("Exercise 06.5: correct: your table equals course_utils.layers.LENET_C3_TABLE; C3 built from it has "
           "1,516 parameters and 151,600 connections on S2's 14 x 14 maps (the paper: 1,516 and 151,600).")


def test_the_reference_solution_is_table_one_and_passes():
    assert [set(entry) for entry in nb06.c3_table_from_the_rule()] == [set(entry) for entry in TABLE_I]
    built = nb06.c3_table_from_the_rule()  # what a learner's function returns: a table of its own
    assert nb06.grade_c3_table(lambda: built) == (True, CORRECT)


def test_any_order_within_an_entry_and_any_sequence_type_pass():
    assert nb06.grade_c3_table(lambda: TABLE_I) == (True, CORRECT)  # (4, 5, 0): the ring's order
    assert nb06.grade_c3_table(lambda: [set(entry) for entry in TABLE_I])[0]
    assert exercises.grade("06.5", [list(entry) for entry in TABLE_I])[0]


def _replace(j, entry):
    table = list(TABLE_I)
    table[j] = entry
    return lambda: table


@pytest.mark.parametrize("learner, diagnosis", [
    (_replace(4, (4, 5, 6)), "C3 map 4 reads S2 map 6, but S2 has maps 0 to 5: the neighbours wrap around"),
    (_replace(4, (4, 5)), "but map 4 reads 2 (4, 5). Did the neighbours stop at S2 map 5 instead of wrapping around"),
    (_replace(9, (3, 4, 5)), "C3 maps 6-11 read 4 neighbouring S2 maps each, but map 9 reads 3 (3, 4, 5)."),
    (_replace(0, (0, 1, 2, 3)), "C3 maps 0-5 read 3 neighbouring S2 maps each, but map 0 reads 4"),
    (_replace(12, (0, 1, 2, 3)), "map 12 + i reads S2 maps i, i+1, i+3, i+4, so map 12 reads S2 maps 0, 1, 3, 4."),
    (_replace(7, (1, 2, 3, 5)), "C3 map 7 reads S2 maps 1, 2, 3, 5; maps 6-11 read 4 neighbouring S2 maps, so map 7 "
                                "reads S2 maps 1, 2, 3, 4."),
    (_replace(15, (0, 1, 2, 3, 4, 4)), "C3 map 15 lists an S2 map twice"),
    (lambda: TABLE_I[:15], "C3 has 16 maps, so the table needs 16 entries (one per C3 map); yours has 15."),
    (lambda: [TABLE_I[(j - 1) % 6] for j in range(6)] + list(TABLE_I[6:]),
     "maps 0-5 hold the right sets of S2 maps in another order: in the paper, C3 map 0 reads S2 maps 0, 1, 2"),
    (lambda: 16, "the table should be 16 entries, one per C3 map"),
])
def test_typical_mistakes_are_diagnosed(learner, diagnosis):
    ok, message = nb06.grade_c3_table(learner)
    assert not ok
    assert message.startswith("Exercise 06.5: not yet: ") and diagnosis in message
    assert message.endswith("(Stuck? `course_utils.solution('06.5')` shows a worked solution.)")


def test_stub_none_and_errors():
    def stub():
        raise NotImplementedError

    assert nb06.grade_c3_table(stub) == (False, "Exercise 06.5: not implemented yet: replace `raise "
                                                "NotImplementedError` with your code and run the cell again.")
    assert nb06.grade_c3_table(lambda: None)[1] == "Exercise 06.5: your function returned None: did you forget `return`?"
    ok, message = nb06.grade_c3_table(lambda: [(0, 1, 2)][3])
    assert not ok and message.startswith("Exercise 06.5: your function raised IndexError")


def test_registered_mistakes_agree_with_the_checker():
    exercise = exercises.exercise("06.5")
    assert len(exercise.mistakes) >= 4
    for table, text in exercise.mistakes.items():
        ok, message = nb06.grade_c3_table(lambda table=table: table)
        assert not ok and text in message


def test_new_answers_worked_by_hand():
    # 06.1: 3 x 3 kernels with the table: 6 maps read 3 S2 maps, 9 read 4, 1 reads 6
    assert exercises.exercise("06.1").answer == (9 * 3 + 1) * 6 + (9 * 4 + 1) * 9 + (9 * 6 + 1) * 1 == 556
    # 06.3: a 36 x 36 input: C1 32, S2 16, C3 12 x 12 units, each with its map's 1,516-parameter share
    assert exercises.exercise("06.3").answer == 1_516 * 12 * 12


def test_check_prints_the_verdict(capsys):
    nb06.check_c3_table(lambda: TABLE_I)
    assert capsys.readouterr().out == CORRECT + "\n"
