"""Item analysis on a dataset small enough to check by hand.

Five trainees (A-E) take a three-question quiz once (1 point each):

    trainee  Q1 Q2 Q3  total
    A         1  1  1    3
    B         1  1  0    2
    C         1  0  0    1
    D         1  0  1    2
    E         0  0  0    0

Q1: x = 1,1,1,1,0  rest r = total − x = 2,1,0,1,0
    facility = 4/5 = 80 %;  s²(x) = (Σx² − (Σx)²/n)/(n−1) = (4 − 16/5)/4 = 0.2, s = 0.447214
    s²(r) = (6 − 16/5)/4 = 0.7;  cov = (Σxr − ΣxΣr/n)/(n−1) = (4 − 16/5)/4 = 0.2
    discrimination = 0.2 / √(0.2·0.7) = 0.534522
    sorted x 0,1,1,1,1 with sorted r 0,0,1,1,2: Σ = 4, cov_max = (4 − 3.2)/4 = 0.2, efficiency = 1
Q2: x = 1,1,0,0,0  r = 2,1,1,2,0
    facility 40 %;  s²(x) = (2 − 4/5)/4 = 0.3, s = 0.547723;  s²(r) = (10 − 36/5)/4 = 0.7
    cov = (3 − 2·6/5)/4 = 0.15;  discrimination = 0.15/√0.21 = 0.327327
    sorted x 0,0,0,1,1 with sorted r 0,1,1,2,2: Σ = 4, cov_max = (4 − 2.4)/4 = 0.4,
    efficiency = 0.15/0.4 = 0.375
Q3: x = 1,0,0,1,0  r = 2,2,1,1,0: the same sums as Q2 (0.3, 0.7, 0.15): D = 0.327327, E = 0.375
Totals 3,2,1,2,0: s² = (18 − 64/5)/4 = 1.3
Cronbach's alpha = 3/2 · (1 − (0.2 + 0.3 + 0.3)/1.3) = 1.5 · 0.5/1.3 = 0.576923
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.assessment.models import Quiz
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.reports.items import item_analysis
from lms.reports.scope import Scope
from tests.conftest import login
from tests.report_helpers import (
    T0,
    add_attempt,
    add_question_version,
    build_course,
    latest_version_id,
    make_question,
    make_quiz,
    make_trainee,
)

SCORES = {"A": (1, 1, 1), "B": (1, 1, 0), "C": (1, 0, 0), "D": (1, 0, 1), "E": (0, 0, 0)}
# Responses in each version's letters. Q1 (single, answer B on v1) has a second version whose
# options are reordered (乙 first, so the answer is A): D and E answered on that version.
# Q2 (single, answer A): C and D chose B, E left it blank.
# Q3 (multiple, answer [A, C]): B chose [A], C chose [B, C], E chose [D].
RESPONSES = {
    "A": ("B", "A", ["A", "C"]),
    "B": ("B", "A", ["A"]),
    "C": ("B", "B", ["B", "C"]),
    "D": ("A", "B", ["C", "A"]),
    "E": ("C", None, ["D"]),
}


@pytest.fixture
def quiz_world(app, make_user, make_cohort):
    """The five-trainee dataset above, plus attempts that must be left out."""
    organizer = make_user("organizer")
    with app.app_context():
        built = build_course()
        course = built["course"]
        m1 = built["m1"]
        l1 = built["lessons"][0]
        q1 = make_question(course.id, m1.id, "q1", answer="B", lesson_id=l1.id)
        q1v1 = latest_version_id(q1.id)
        q1v2 = add_question_version(q1, 2, ["乙", "甲", "丙", "丁"], "A", T0 - timedelta(days=1)).id
        q2 = make_question(course.id, m1.id, "q2", answer="A")
        q3 = make_question(course.id, m1.id, "q3", qtype="multiple", answer=["A", "C"])
        quiz = make_quiz(course.id, "exam", "final_exam", [q1.id, q2.id, q3.id])
        db.session.commit()
        ids = {
            "course": course.id,
            "quiz": quiz.id,
            "q": (q1.id, q2.id, q3.id),
            "course_key": course.key,
        }
    cohort_id, _, _ = make_cohort(organizer_id=organizer.id, course_id=ids["course"])
    other_cohort, _, _ = make_cohort(organizer_id=organizer.id, course_id=ids["course"])
    with app.app_context():
        trainees = {}
        for name, scores in SCORES.items():
            uid = make_trainee(cohort_id, f"学员{name}")
            trainees[name] = uid
            q1_version = q1v2 if name in "DE" else q1v1
            answers = [
                (ids["q"][0], scores[0], RESPONSES[name][0], 1.0, q1_version),
                (ids["q"][1], scores[1], RESPONSES[name][1]),
                (ids["q"][2], scores[2], RESPONSES[name][2]),
            ]
            add_attempt(ids["quiz"], uid, cohort_id, answers)
        # Left out by default: E's second attempt (all correct); always: an unfinished attempt,
        # and an attempt in another cohort.
        add_attempt(ids["quiz"], trainees["E"], cohort_id, [(q, 1.0, "B") for q in ids["q"]], number=2)
        add_attempt(
            ids["quiz"],
            trainees["A"],
            cohort_id,
            [(q, 0.0, "C") for q in ids["q"]],
            number=3,
            state="in_progress",
        )
        stranger = make_trainee(other_cohort, "外班学员")
        add_attempt(ids["quiz"], stranger, other_cohort, [(q, 0.0, "C") for q in ids["q"]])
        db.session.commit()
    ids.update(cohort=cohort_id, other_cohort=other_cohort, organizer=organizer)
    return ids


def _analysis(app, ids, **scope):
    quiz = db.session.get(Quiz, ids["quiz"])
    return item_analysis(Scope(course_id=ids["course"], cohort_ids=(ids["cohort"],), **scope), quiz)


def test_item_statistics_match_the_hand_computation(app, quiz_world):
    with app.app_context():
        result = _analysis(app, quiz_world)
        assert result.attempts == 5
        q1, q2, q3 = result.items
        assert [i.key for i in result.items] == ["q1", "q2", "q3"]
        assert q1.n == q2.n == q3.n == 5
        assert q1.facility == pytest.approx(0.8)
        assert q1.sd == pytest.approx(0.447214, abs=1e-6)
        assert q1.discrimination == pytest.approx(0.534522, abs=1e-6)
        assert q1.efficiency == pytest.approx(1.0)
        for q in (q2, q3):
            assert q.facility == pytest.approx(0.4)
            assert q.sd == pytest.approx(0.547723, abs=1e-6)
            assert q.discrimination == pytest.approx(0.327327, abs=1e-6)
            assert q.efficiency == pytest.approx(0.375)
        assert result.alpha == pytest.approx(0.576923, abs=1e-6)
        assert result.mean_total == pytest.approx(8 / 5)
        assert result.sd_total == pytest.approx(1.3**0.5)
        assert result.mean_share == pytest.approx(8 / 15)
        assert [i.flags for i in result.items] == [[], [], []]  # default thresholds


def test_all_graded_attempts_include_second_attempts(app, quiz_world):
    """With E's second attempt (all correct): Q1 has 5 of 6 right; the unfinished attempt and
    the other cohort still do not count."""
    with app.app_context():
        result = _analysis(app, quiz_world, all_attempts=True)
        assert result.attempts == 6
        assert result.items[0].n == 6
        assert result.items[0].facility == pytest.approx(5 / 6)


@pytest.mark.parametrize(
    "app",
    [
        {
            "REPORTS_FACILITY_HIGH": 0.75,
            "REPORTS_FACILITY_LOW": 0.45,
            "REPORTS_DISCRIMINATION_LOW": 0.4,
        }
    ],
    indirect=True,
)
def test_flags_follow_the_configured_thresholds(app, quiz_world):
    """Q1: 80 % > 75 % too easy; Q2 and Q3: 40 % < 45 % too hard, 0.33 < 0.4 low discrimination."""
    with app.app_context():
        flags = [i.flags for i in _analysis(app, quiz_world).items]
    assert flags == [
        ["too_easy"],
        ["too_hard", "low_discrimination"],
        ["too_hard", "low_discrimination"],
    ]


def test_options_are_counted_in_each_version_letters(app, quiz_world):
    """Q1 v1 (A-C answered): B chosen 3 times. Q1 v2 (reordered, 乙 is A): D chose A (right),
    E chose C. Q2: A 2, B 2, blank 1. Q3 (multiple): A by A, B, D = 3; B by C = 1; C by A, C,
    D = 3; D by E = 1."""
    with app.app_context():
        options = _analysis(app, quiz_world).options
    q1, q2, q3 = quiz_world["q"]
    v1, v2 = options[q1]
    assert (v1.version, v1.n) == (1, 3)
    assert [(o.letter, o.text, o.count, o.is_correct) for o in v1.options] == [
        ("A", "甲", 0, False),
        ("B", "乙", 3, True),
        ("C", "丙", 0, False),
        ("D", "丁", 0, False),
    ]
    assert (v2.version, v2.n) == (2, 2)
    assert [(o.letter, o.text, o.count, o.is_correct) for o in v2.options] == [
        ("A", "乙", 1, True),
        ("B", "甲", 0, False),
        ("C", "丙", 1, False),
        ("D", "丁", 0, False),
    ]
    (only,) = options[q2]
    assert [o.count for o in only.options] == [2, 2, 0, 0] and only.blank == 1
    assert only.options[0].share == pytest.approx(0.4)
    (multi,) = options[q3]
    assert [o.count for o in multi.options] == [3, 1, 3, 1]
    assert [o.is_correct for o in multi.options] == [True, False, True, False]


def test_everyone_correct_and_one_respondent_give_none_not_errors(app, make_user, make_cohort):
    """Q1 right for all five (no variance: SD 0, discrimination undefined); Q2 varies.
    A second quiz with a single attempt has no SD, correlation or alpha at all."""
    with app.app_context():
        built = build_course("edge-course")
        course, m1 = built["course"], built["m1"]
        qa = make_question(course.id, m1.id, "qa")
        qb = make_question(course.id, m1.id, "qb")
        quiz = make_quiz(course.id, "all-right", "module_quiz", [qa.id, qb.id], module_id=m1.id)
        single = make_quiz(course.id, "single", "post_test", [qa.id, qb.id])
        db.session.commit()
        course_id, quiz_id, single_id, qa, qb = course.id, quiz.id, single.id, qa.id, qb.id
    cohort_id, _, _ = make_cohort(course_id=course_id)
    with app.app_context():
        for i, b in enumerate([1, 0, 1, 0, 0]):
            uid = make_trainee(cohort_id, f"学员{i}")
            add_attempt(quiz_id, uid, cohort_id, [(qa, 1.0, "B"), (qb, float(b), "B" if b else "A")])
        add_attempt(single_id, uid, cohort_id, [(qa, 1.0, "B"), (qb, 0.0, "A")])
        db.session.commit()
        scope = Scope(course_id=course_id, cohort_ids=(cohort_id,))
        result = item_analysis(scope, db.session.get(Quiz, quiz_id))
        a, b = result.items
        assert a.facility == 1.0 and a.sd == 0.0
        assert a.discrimination is None and a.efficiency is None
        assert a.flags == ["too_easy"]
        assert b.discrimination is None  # the rest (qa) has no variance either
        assert result.alpha is not None  # total variance comes from qb alone: α = 2·(1 − 0.3/0.3) = 0
        assert result.alpha == pytest.approx(0.0)
        one = item_analysis(scope, db.session.get(Quiz, single_id))
        assert one.attempts == 1 and one.items[0].sd is None and one.items[0].discrimination is None
        assert one.alpha is None and one.alpha_note == "too_few"
        assert one.items[0].flags == []  # n = 1 is below REPORTS_FLAG_MIN_N
        empty = item_analysis(Scope(course_id=course_id, cohort_ids=(cohort_id + 999,)), db.session.get(Quiz, quiz_id))
        assert empty.attempts == 0 and empty.items == [] and empty.alpha is None
    client = _organizer_client(app, make_user)
    page = client.get(f"/reports/cohorts/{cohort_id}/quizzes/{single_id}/items")
    assert page.status_code == 200
    assert "—" in page.get_data(as_text=True)


def _organizer_client(app, make_user):
    client = app.test_client()
    login(client, make_user("organizer"))
    return client


@pytest.mark.parametrize("app", [{"REPORTS_FACILITY_HIGH": 0.75}], indirect=True)
def test_item_page_flags_link_to_the_question_and_the_lesson(app, quiz_world, make_user):
    client = _organizer_client(app, make_user)
    url = f"/reports/cohorts/{quiz_world['cohort']}/quizzes/{quiz_world['quiz']}/items"
    html = client.get(url).get_data(as_text=True)
    q1 = quiz_world["q"][0]
    assert "需关注的试题" in html and "过易" in html
    assert f"/reports/questions/{q1}?cohort={quiz_world['cohort']}" in html
    assert f"/courses/{quiz_world['course_key']}/lessons/l1" in html
    assert f"/improvements/new?finding=item%3A{q1}" in html or f"/improvements/new?finding=item:{q1}" in html
    assert "80.0%" in html and "53.5%" in html and "0.58" in html  # facility, discrimination, alpha
    assert 'role="img"' in html and "<title id=" in html
    question = client.get(f"/reports/questions/{q1}?cohort={quiz_world['cohort']}")
    text = question.get_data(as_text=True)
    assert question.status_code == 200
    assert "q1 的题干" in text and "v2" in text and "v1" in text and "/lessons/l1" in text


def test_item_tables_download_as_csv_and_xlsx(app, quiz_world, make_user):
    client = _organizer_client(app, make_user)
    base = f"/reports/cohorts/{quiz_world['cohort']}/export/items"
    csv = client.get(f"{base}/items.csv?quiz={quiz_world['quiz']}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("题目,题干,小节,样本量,难度（得分率） (%)")
    assert lines[1].startswith("q1,q1 的题干,小节l1,5,80.0")
    xlsx = client.get(f"{base}/options.xlsx?quiz={quiz_world['quiz']}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("题目", "版本", "选项")
    assert ("q1", 1, "B", "乙", "是", 3, 100.0) in rows
    assert client.get(f"{base}/nope.csv?quiz={quiz_world['quiz']}").status_code == 404
    assert client.get(f"{base}/items.csv").status_code == 404  # no quiz given


def test_exported_cells_cannot_run_as_formulas(app, quiz_world, make_user):
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_world["quiz"])
        quiz.title = '=HYPERLINK("http://evil")'
        db.session.commit()
    client = _organizer_client(app, make_user)
    quiz_id, cohort = quiz_world["quiz"], quiz_world["cohort"]
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/cohorts/{cohort}/export/learning/quizzes.xlsx").data)).active
    titles = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert '\'=HYPERLINK("http://evil")' in titles
    assert quiz_id


def test_other_cohorts_are_not_mixed_in_unless_asked(app, quiz_world, make_user):
    """The other cohort's attempt (all wrong) counts only with "all my cohorts of this course"."""
    client = _organizer_client(app, make_user)
    url = f"/reports/cohorts/{quiz_world['cohort']}/quizzes/{quiz_world['quiz']}/items"
    assert ">5<" in client.get(url).get_data(as_text=True).replace(" ", "")
    wide = client.get(url + "?cohorts=course").get_data(as_text=True)
    assert "66.7%" in wide  # Q1: 4 of 6
    with app.app_context():
        assert db.session.scalar(select(Cohort.id).where(Cohort.id == quiz_world["other_cohort"]))
