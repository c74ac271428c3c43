"""The requirement checks whose data already has tables: the final exam and course feedback.

Registered under the rule names of docs/course-format.md. The assessment and surveys
domains may register their own under the same names (the last registration wins).
Completed modules and credited 学时 come from the learning domain, which registers
``required_modules`` and ``min_credit_hours`` itself.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from lms.assessment.models import Attempt, AttemptState, Quiz, QuizKind
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.surveys.models import Survey, SurveyKind, SurveyParticipation, SurveyResponse

from .eligibility import RULE_LABELS, RequirementStatus, register_check


@register_check("final_exam")
def final_exam_passed(user_id: int, cohort: Cohort) -> RequirementStatus:
    """Met by a graded, passed attempt at the course's final exam taken in this cohort."""
    label = str(RULE_LABELS["final_exam"])
    rows = db.session.execute(
        select(Attempt.state, Attempt.passed, Attempt.percent)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Quiz.course_id == cohort.course_id,
            Quiz.kind == QuizKind.FINAL_EXAM,
            Attempt.user_id == user_id,
            Attempt.cohort_id == cohort.id,
        )
    ).all()
    passed = [r.percent or 0 for r in rows if r.state == AttemptState.GRADED and r.passed]
    if passed:
        return RequirementStatus("final_exam", label, True, _("Passed (%(score)d%%)", score=round(max(passed))))
    if any(r.state == AttemptState.AWAITING_GRADING for r in rows):
        return RequirementStatus("final_exam", label, False, _("Waiting for a trainer to grade it"))
    if any(r.state == AttemptState.GRADED for r in rows):
        best = max((r.percent or 0) for r in rows if r.state == AttemptState.GRADED)
        return RequirementStatus("final_exam", label, False, _("Not passed yet (best %(score)d%%)", score=round(best)))
    return RequirementStatus("final_exam", label, False, _("Not taken yet"))


@register_check("feedback")
def feedback_submitted(user_id: int, cohort: Cohort) -> RequirementStatus:
    """Met once the course feedback form has been submitted in this cohort (named or anonymous)."""
    label = str(RULE_LABELS["feedback"])
    surveys = select(Survey.id).where(Survey.course_id == cohort.course_id, Survey.kind == SurveyKind.FEEDBACK)
    participated = exists().where(
        SurveyParticipation.survey_id.in_(surveys),
        SurveyParticipation.cohort_id == cohort.id,
        SurveyParticipation.user_id == user_id,
    )
    responded = exists().where(
        SurveyResponse.survey_id.in_(surveys),
        SurveyResponse.cohort_id == cohort.id,
        SurveyResponse.user_id == user_id,
    )
    met = bool(db.session.scalar(select(or_(participated, responded))))
    return RequirementStatus("feedback", label, met, _("Submitted") if met else _("Not submitted yet"))
