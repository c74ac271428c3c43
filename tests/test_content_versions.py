"""Records stay true when content changes (issue 14, "Done when").

The real course (16 学时, 10 modules). Cohorts 一期 and 二期 finish with five trainees each
and get their certificates. A trainer adds a lesson to module 6 in the browser and publishes
it for future cohorts only, linked to an improvement action on module 6. Finished trainees
keep 16 学时 and their certificates; cohort 三期 runs on the new structure (module 6 has four
lessons there); the ledger compares module 6 version 1 (一期 and 二期: 10 trainees) with
version 2 (三期: 5 trainees), and its owner sees 三期 though another trainer runs it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.assessment.models import Question, Quiz, QuizItem, QuizKind
from lms.auth.models import User
from lms.certificates import eligibility
from lms.certificates.models import Certificate
from lms.certificates.service import auto_issue
from lms.cohorts.models import Cohort
from lms.db import write_transaction
from lms.extensions import db
from lms.improvement.compare import compare_before_after
from lms.improvement.models import ImprovementAction
from lms.improvement.service import ActionData, create_action
from lms.learning.models import Course, CourseStructure, Lesson, Module
from lms.learning.standing import cohort_standings, course_standing
from lms.reports.funnel import count_completed
from lms.surveys.models import Survey, SurveyParticipation
from tests.authoring_helpers import REAL_COURSE, assign_author, lesson_form, load_course, text
from tests.conftest import UserRef, login
from tests.dates import site_today
from tests.report_helpers import add_attempt, add_progress, add_response, make_trainee

COURSE = "edu-assistance-policy"


def _course() -> Course:
    return db.session.scalar(select(Course).where(Course.key == COURSE))


def _work_through(user_id: int, cohort_id: int, course: Course) -> None:
    """The pre-test, every lesson of the trainee's plan, every module quiz passed."""
    standing = course_standing(user_id, course, cohort_id)
    pre_test = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.PRE_TEST))
    if pre_test is not None:
        add_attempt(pre_test.id, user_id, cohort_id, [])
    for module in standing.modules:
        for lesson in module.lessons:
            add_progress(user_id, lesson.id, seconds=900)
        if module.quiz is not None:
            items = (
                db.session.scalars(select(QuizItem.question_id).where(QuizItem.quiz_id == module.quiz.id)).all()
                or db.session.scalars(select(Question.id).where(Question.module_id == module.module.id)).all()
            )
            add_attempt(module.quiz.id, user_id, cohort_id, [(q, 1.0, "A") for q in items])


def _finish(cohort_id: int, name: str, ratings=(4, 4, 4)) -> int:
    """A trainee who does everything the course asks on the plan their cohort is on."""
    course = _course()
    user_id = make_trainee(cohort_id, name)
    _work_through(user_id, cohort_id, course)
    quizzes = {q.kind: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    exam = db.session.scalars(select(Question.id).where(Question.course_id == course.id).limit(5)).all()
    add_attempt(quizzes[QuizKind.FINAL_EXAM].id, user_id, cohort_id, [(q, 1.0) for q in exam])
    surveys = {s.key: s for s in db.session.scalars(select(Survey).where(Survey.course_id == course.id))}
    db.session.add(SurveyParticipation(survey_id=surveys["feedback"].id, cohort_id=cohort_id, user_id=user_id))
    module6 = db.session.scalar(select(Module).where(Module.key == "industry-digital"))
    response = add_response(
        surveys["module-feedback"].id,
        cohort_id,
        None,
        dict(zip(("content", "usefulness", "delivery"), map(float, ratings), strict=True)),
    )
    response.module_id = module6.id
    db.session.flush()
    return user_id


def test_a_lesson_added_for_future_cohorts_keeps_the_past_true(app, make_user, make_cohort):
    load_course(app, REAL_COURSE)
    organizer = make_user("organizer")
    owner, other_trainer = make_user("trainer"), make_user("trainer")
    assign_author(app, COURSE, owner.id)
    with app.app_context():
        course_id = _course().id
    made = {}
    for name, start, trainer in (("一期", -80, owner), ("二期", -45, other_trainer), ("三期", 10, other_trainer)):
        made[name] = make_cohort(
            organizer_id=organizer.id,
            course_id=course_id,
            name=name,
            starts_on=site_today() + timedelta(days=start),
            ends_on=site_today() + timedelta(days=start + 30),
            enrol_until=site_today() + timedelta(days=start + 30),
            trainer_ids=(trainer.id,),
        )[0]
    with app.app_context():
        finished = {name: [_finish(made[name], f"{name}学员{i}") for i in range(5)] for name in ("一期", "二期")}
        for name, users in finished.items():
            cohort = db.session.get(Cohort, made[name])
            for user_id in users:
                assert auto_issue(user_id, cohort, "https://lms.example")
        db.session.commit()
        module6 = db.session.scalar(select(Module).where(Module.key == "industry-digital"))
        module6_id, old_lessons = module6.id, 3
        assert module6.version == 1
        for name in ("一期", "二期"):
            assert count_completed(db.session.get(Cohort, made[name])) == 5
        with write_transaction():
            action = create_action(
                db.session.get(User, owner.id),
                ActionData(
                    course_id=course_id,
                    finding_kind="module",
                    finding_ref=str(module6_id),
                    finding_summary="专题六缺少乡村案例",
                    planned_change="增加一节乡村数字教育案例",
                    measure="satisfaction",
                    target_kind="module",
                    target_key="industry-digital",
                    cohort_id=made["一期"],
                    owner_id=owner.id,
                ),
            )
            action_id = action.id

    # the trainer adds a lesson to module 6 in the browser and publishes it
    author = app.test_client()
    login(author, owner)
    response = author.post(
        f"/authoring/courses/{COURSE}/lessons/new",
        data=lesson_form(
            key="rural-digital-case", module=f"m{module6_id}", title="乡村数字教育案例", body_markdown="## 案例\n正文。"
        ),
    )
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    published = author.post(
        f"/authoring/drafts/{draft_id}",
        data=lesson_form(
            key="rural-digital-case",
            title="乡村数字教育案例",
            body_markdown="## 案例\n正文。",
            revision=1,
            action="publish",
            improvement_action=action_id,
        ),
    )
    assert published.status_code == 302
    assert "/structure" not in published.headers["Location"]  # no running cohort to ask about

    with app.app_context():
        course = _course()
        assert (
            db.session.scalar(select(func.count(CourseStructure.id)).where(CourseStructure.course_id == course.id)) == 2
        )
        assert db.session.get(Module, module6_id).version == 2
        # finished trainees: still 16 学时, every module done, certificates valid and met
        for name in ("一期", "二期"):
            cohort = db.session.get(Cohort, made[name])
            assert cohort.structure_id is not None  # pinned to what it ran on
            standings = cohort_standings(course, cohort.id)
            assert {s.credited_hours for s in standings.values()} == {16.0}
            assert count_completed(cohort) == 5
            for user_id in finished[name]:
                standing = course_standing(user_id, course, cohort.id)
                assert standing.credited_hours == 16.0 and standing.total_hours == 16.0
                assert all(m.is_done for m in standing.modules)
                assert len(standing.module(module6_id).lessons) == old_lessons
                assert eligibility.evaluate(user_id, cohort).met
            assert (
                db.session.scalar(
                    select(func.count(Certificate.id)).where(
                        Certificate.cohort_id == cohort.id, Certificate.status == "valid"
                    )
                )
                == 5
            )

        # 三期 starts later: it runs on the new structure (four lessons in module 6)
        third = db.session.get(Cohort, made["三期"])
        assert third.structure_id is None
        later = [_finish(third.id, f"三期学员{i}", ratings=(5, 5, 5)) for i in range(5)]
        db.session.commit()
        for user_id in later:
            standing = course_standing(user_id, course, third.id)
            assert len(standing.module(module6_id).lessons) == old_lessons + 1
            assert standing.credited_hours == 16.0 and all(m.is_done for m in standing.modules)

    # the trainee's pages say the same number
    trainee = app.test_client()
    with app.app_context():
        phone = db.session.get(User, finished["一期"][0]).phone
    login(trainee, UserRef(0, phone, None, ""), password="trainee-pass-1")
    page = text(trainee.get(f"/courses/{COURSE}"))
    assert "16" in page and "乡村数字教育案例" not in page

    with app.app_context():
        action = db.session.get(ImprovementAction, action_id)
        result = compare_before_after(action, db.session.get(User, owner.id))
        assert result.version == 2
        assert (result.before_versions, result.after_versions) == ([1], [2])
        assert result.cohorts == ["一期", "二期", "三期"]  # the owner sees 三期 too
        metrics = {m.key: m for m in result.metrics}
        assert metrics["completion"].before.n == 10 and metrics["completion"].before.value == 1.0
        assert (metrics["completion"].after.n, metrics["completion"].after.value) == (5, 1.0)
        satisfaction = metrics["satisfaction"]
        assert (satisfaction.before.cohorts, satisfaction.after.cohorts) == (["一期", "二期"], ["三期"])
        assert satisfaction.before.n == 10 and satisfaction.before.value == 4.0
        assert satisfaction.after.n == 5 and satisfaction.after.value == 5.0
        assert not satisfaction.too_small and satisfaction.difference == 1.0
        quiz = metrics["quiz_facility"]
        assert quiz.before.n > 0 and quiz.after.n > 0
    page = text(author.get(f"/improvements/{action_id}"))
    assert "v1" in page and "v2" in page and 'id="metric-satisfaction"' in page and "三期" in page


def test_a_running_cohort_gets_a_change_only_when_the_publisher_ticks_it(app, make_user, make_cohort):
    """Module "practice" (no quiz) gains a lesson while 四期 and 五期 run. The confirmation
    page lists both with the trainees each would reach; only 四期 is ticked. In 四期 the
    trainee who had finished the module keeps it finished on two lessons; the other now
    needs three. 五期 stays on the structure it started on."""
    load_course(app)
    organizer = make_user("organizer")
    author = make_user("trainer")
    assign_author(app, "example-course", author.id)
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
        practice = db.session.scalar(select(Module).where(Module.key == "practice"))
        practice_id = practice.id
        practice_lessons = db.session.scalars(select(Lesson.id).where(Lesson.module_id == practice_id)).all()
    today = site_today()
    running = {
        name: make_cohort(
            organizer_id=organizer.id,
            course_id=course_id,
            name=name,
            starts_on=today - timedelta(days=5),
            ends_on=today + timedelta(days=25),
            enrol_until=today + timedelta(days=25),
        )[0]
        for name in ("四期", "五期")
    }
    with app.app_context():
        done, busy = make_trainee(running["四期"], "已学完"), make_trainee(running["四期"], "学习中")
        other = make_trainee(running["五期"], "五期学员")
        _work_through(done, running["四期"], db.session.get(Course, course_id))
        add_progress(busy, practice_lessons[0])
        db.session.commit()

    client = app.test_client()
    login(client, author)
    response = client.post(
        "/authoring/courses/example-course/lessons/new",
        data=lesson_form(key="reflection", module=f"m{practice_id}", title="课后反思", body_markdown="## 反思\n正文。"),
    )
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    published = client.post(
        f"/authoring/drafts/{draft_id}",
        data=lesson_form(
            key="reflection", title="课后反思", body_markdown="## 反思\n正文。", revision=1, action="publish"
        ),
    )
    assert published.headers["Location"].endswith("/authoring/courses/example-course/structure")
    page = text(client.get("/authoring/courses/example-course/structure"))
    assert "四期" in page and "五期" in page
    assert "1 人尚未学完" in page  # 四期: only 学习中
    with app.app_context():
        # nothing moved yet: every running trainee still needs two lessons
        course = db.session.get(Course, course_id)
        for user_id, cohort in ((busy, "四期"), (other, "五期")):
            assert course_standing(user_id, course, running[cohort]).module(practice_id).lessons_total == 2

    moved = client.post("/authoring/courses/example-course/structure", data={"cohort_ids": [running["四期"]]})
    assert moved.status_code == 302
    with app.app_context():
        course = db.session.get(Course, course_id)
        kept = course_standing(done, course, running["四期"]).module(practice_id)
        assert kept.is_done and kept.lessons_total == 2
        assert course_standing(busy, course, running["四期"]).module(practice_id).lessons_total == 3
        assert course_standing(other, course, running["五期"]).module(practice_id).lessons_total == 2
        standings = cohort_standings(course, running["四期"])
        assert standings[done].module(practice_id).is_done
        assert standings[busy].module(practice_id).lessons_total == 3


def test_a_lesson_removed_from_the_files_stays_for_the_cohort_that_started_with_it(
    app, make_user, make_cohort, tmp_path
):
    from tests.content_helpers import copy_example, load

    course_dir = copy_example(tmp_path)
    with app.app_context():
        load(course_dir)
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    organizer = make_user("organizer")
    today = site_today()
    running = make_cohort(
        organizer_id=organizer.id,
        course_id=course_id,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=25),
    )[0]
    later = make_cohort(organizer_id=organizer.id, course_id=course_id, starts_on=today + timedelta(days=10))[0]
    trainee, newcomer = make_user(), make_user()
    with app.app_context():
        from tests.report_helpers import enrol

        enrol(running, trainee.id)
        enrol(later, newcomer.id)
        db.session.commit()
        (course_dir / "modules/02-practice/02-discussion.md").unlink()
        from tests.content_helpers import edit

        edit(course_dir / "modules/02-practice/questions.yaml", "lesson: discussion", "lesson: village-school")
        [report] = load(course_dir)
        assert "lesson:discussion" in report.changes.retired
        course = db.session.get(Course, course_id)
        practice = db.session.scalar(select(Module.id).where(Module.key == "practice"))
        assert course_standing(trainee.id, course, running).module(practice).lessons_total == 2
        assert course_standing(newcomer.id, course, later).module(practice).lessons_total == 1
    client = app.test_client()
    login(client, trainee)
    from tests.authoring_helpers import open_every_module

    open_every_module(app, client, trainee.id)
    page = client.get("/courses/example-course/lessons/discussion")
    assert page.status_code == 200
    other = app.test_client()
    login(other, newcomer)
    assert other.get("/courses/example-course/lessons/discussion").status_code == 404
