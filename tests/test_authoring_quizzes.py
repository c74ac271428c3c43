"""The quiz editor: settings and draw rules as the course format allows, fixed lists edited."""

from __future__ import annotations

from sqlalchemy import select

from lms.assessment.models import Quiz
from lms.content.export import export_course
from lms.content.loader import validate_courses
from lms.extensions import db
from lms.learning.models import Course
from tests.authoring_helpers import author_client, load_course, text


def _quiz(app, key: str) -> Quiz:
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == key))
        db.session.expunge(quiz)
        return quiz


def _items(app, key: str) -> list[str]:
    from lms.authoring.quizzes import item_keys

    with app.app_context():
        return item_keys(db.session.scalar(select(Quiz).where(Quiz.key == key)))


def _settings(**overrides) -> dict:
    data = {
        "title": "结业考试",
        "time_limit_minutes": "30",
        "max_attempts": "2",
        "pass_mark": "70",
        "shuffle_questions": "y",
        "shuffle_options": "y",
        # the review grid: the score right after and while open, everything after the cohort's end
        "review-immediately": ["score"],
        "review-open": ["score"],
        "review-closed": ["score", "correctness", "answer", "explanation"],
        "count-getting-started": "3",
        "exclude-getting-started": "pre-test, post-test",
        "count-practice": "2",
        "exclude-practice": "pre-test, post-test",
        "version": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_quiz_settings_and_draw_rules_are_saved_as_a_new_version(app, make_user, tmp_path):
    load_course(app)
    author, _ = author_client(app, make_user)
    exam = _quiz(app, "final-exam")
    url = f"/authoring/quizzes/{exam.id}/edit"
    page = text(author.get(url))
    assert 'name="count-practice" value="2"' in page and 'value="pre-test, post-test"' in page
    # the file's "after_close" shown as the grid it means: the key only after the cohort's end
    assert 'name="review-closed" value="answer" checked' in page
    assert 'name="review-immediately" value="answer">' in page
    response = author.post(
        url,
        data=_settings(
            pass_mark="80", time_limit_minutes="", max_attempts="3", shuffle_options=None, **{"count-practice": "1"}
        ),
        follow_redirects=True,
    )
    assert "测验已保存为第 2 版" in text(response)
    with app.app_context():
        quiz = db.session.get(Quiz, exam.id)
        assert quiz.version == 2 and quiz.title == "结业考试"
        assert quiz.settings == {
            "time_limit_minutes": None,
            "max_attempts": 3,
            "pass_mark": 80,
            "shuffle_questions": True,
            "shuffle_options": False,
            "review": {
                "immediately": ["score"],
                "open": ["score"],
                "closed": ["score", "correctness", "answer", "explanation"],
            },
            "draw": [
                {"module": "getting-started", "count": 3, "exclude_tags": ["pre-test", "post-test"]},
                {"module": "practice", "count": 1, "exclude_tags": ["pre-test", "post-test"]},
            ],
        }
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        folder = export_course(course, tmp_path)  # the loader takes the edited quiz as it is
        [spec] = validate_courses(folder)
        [exported] = [q for q in spec.quizzes if q.key == "final-exam"]
        assert exported.settings == quiz.settings
    same = author.post(
        url,
        data=_settings(
            pass_mark="80",
            time_limit_minutes="",
            max_attempts="3",
            shuffle_options=None,
            version="2",
            **{"count-practice": "1"},
        ),
        follow_redirects=True,
    )
    assert "没有任何改动" in text(same)


def test_quiz_settings_that_break_the_rules_are_refused(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    exam = _quiz(app, "final-exam")
    url = f"/authoring/quizzes/{exam.id}/edit"
    too_many = author.post(url, data=_settings(**{"count-getting-started": "5"}))
    assert "getting-started：应抽取 1 至 4 道题" in text(too_many)
    misspelt = author.post(url, data=_settings(**{"exclude-practice": "pretest"}))
    assert "没有试题带有标签“pretest”" in text(misspelt)
    none = author.post(url, data=_settings(**{"count-getting-started": "0", "count-practice": ""}))
    assert "随机抽题至少需要一条规则" in text(none)
    pass_mark = author.post(url, data=_settings(pass_mark="120"))
    assert pass_mark.status_code == 200 and "120" in text(pass_mark)
    stale = author.post(url, data=_settings(version="0"))
    assert stale.status_code == 409 and "其他人修改了这个测验" in text(stale)
    assert _quiz(app, "final-exam").version == 1


def test_a_fixed_list_is_edited_one_change_at_a_time(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    quiz = _quiz(app, "m01-quiz")
    url = f"/authoring/quizzes/{quiz.id}/items"
    page = text(author.get(f"/authoring/quizzes/{quiz.id}/edit"))
    assert 'value="m01-q06"' in page and 'value="m02-q03"' not in page  # its module only

    def change(op, question, version, other=None):
        data = {"op": op, "question": question, "version": str(version)}
        if other:
            data["other"] = other
        return author.post(url, data=data, follow_redirects=True)

    change("remove", "m01-q04", 1)
    change("add", "m01-q06", 2)
    change("up", "m01-q06", 3)
    assert _items(app, "m01-quiz") == ["m01-q03", "m01-q06", "m01-q05"]
    refused = change("add", "m02-q03", 4)
    assert "专题测验只能包含本专题的试题" in text(refused)
    stale = change("remove", "m01-q03", 1)
    assert "其他人修改了这个测验" in text(stale)
    assert _items(app, "m01-quiz") == ["m01-q03", "m01-q06", "m01-q05"]
    assert _quiz(app, "m01-quiz").version == 4


def test_the_pre_and_post_tests_stay_parallel_forms(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    pre = _quiz(app, "pre-test")
    url = f"/authoring/quizzes/{pre.id}/items"
    added = author.post(url, data={"op": "add", "question": "m01-q06", "version": "1"}, follow_redirects=True)
    assert "前测和后测是平行试卷" in text(added)
    shared = author.post(
        url, data={"op": "replace", "question": "m01-q01", "other": "m01-q02", "version": "1"}, follow_redirects=True
    )
    assert "前测和后测不能有相同的试题" in text(shared)
    author.post(url, data={"op": "replace", "question": "m01-q01", "other": "m01-q06", "version": "1"})
    assert _items(app, "pre-test") == ["m01-q06", "m02-q01"]


def test_a_quiz_without_a_review_setting_shows_its_kind_s_defaults(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    quiz = _quiz(app, "m02-quiz")
    with app.app_context():
        stored = db.session.get(Quiz, quiz.id)
        stored.settings = {k: v for k, v in stored.settings.items() if k != "review"}
        db.session.commit()
    page = text(author.get(f"/authoring/quizzes/{quiz.id}/edit"))
    # a module quiz's defaults: right or wrong and the explanation at once, the key after the end
    assert 'name="review-immediately" value="explanation" checked' in page
    assert 'name="review-immediately" value="answer">' in page
    assert 'name="review-closed" value="answer" checked' in page
