"""学时证明: the trainee's PDF from their learning record, and staff's for a cohort member."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.auth.models import User
from lms.cohorts.models import Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.extensions import db
from lms.learning.models import Course
from tests.authoring_helpers import load_course, open_every_module
from tests.certificate_helpers import pdf_text
from tests.conftest import login
from tests.dates import site_today


def _cohort(app, organizer_id: int, trainer_id: int, trainee_id: int) -> int:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        today = site_today()
        cohort = create_cohort(
            db.session.get(User, organizer_id),
            CohortData(
                course_id=course.id,
                name="学时证明测试班",
                starts_on=today,
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
                trainer_ids=(trainer_id,),
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee_id))
        db.session.commit()
        return cohort.id


def test_the_statement_states_the_credited_hours_by_module(app, make_user):
    load_course(app)
    organizer, trainer = make_user("organizer"), make_user("trainer")
    trainee = make_user("trainee", name="李明", work_unit="芒市第一中学")
    cohort_id = _cohort(app, organizer.id, trainer.id, trainee.id)
    client = app.test_client()
    login(client, trainee)
    open_every_module(app, client, trainee.id)

    record = client.get("/courses/example-course/record").get_data(as_text=True)
    assert "/courses/example-course/record/hours.pdf" in record and "学时证明（PDF）" in record
    response = client.get("/courses/example-course/record/hours.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.data)
    assert "学时证明" in text and "李明" in text and "芒市第一中学" in text and "示例课程" in text
    assert "学时证明测试班" in text
    assert "累计获得1.5学时（课程共3学时）" in text  # module 1 done: 1.5 of 3
    assert "入门" in text and "实践" in text

    # the cohort's trainer gets the member's statement; another trainee does not
    staff = app.test_client()
    login(staff, trainer)
    url = f"/cohorts/{cohort_id}/members/{trainee.id}/record/hours.pdf"
    assert "累计获得1.5学时" in pdf_text(staff.get(url).data)
    other = app.test_client()
    login(other, make_user("trainee"))
    assert other.get(url).status_code == 403
