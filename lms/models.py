"""Imports every domain's models, so metadata and mappers see the whole schema."""
from lms.assessment.models import (  # noqa: F401
    Attempt,
    AttemptItem,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
)
from lms.audit.models import AuditEntry  # noqa: F401
from lms.auth.models import User, UserRole  # noqa: F401
from lms.authoring.models import ContentDraft, CourseAuthor  # noqa: F401
from lms.cohorts.models import Cohort, Enrolment, cohort_trainers  # noqa: F401
from lms.learning.models import (  # noqa: F401
    Course,
    GlossaryTerm,
    Lesson,
    LessonVersion,
    Module,
    ModuleVersion,
)
from lms.learning.progress_models import LessonProgress  # noqa: F401
from lms.surveys.models import (  # noqa: F401
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyItemVersion,
    SurveyParticipation,
    SurveyResponse,
)
