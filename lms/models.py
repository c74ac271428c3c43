"""Imports every domain's models, so metadata and mappers see the whole schema."""
from lms.assessment.models import Question, QuestionVersion, Quiz, QuizItem  # noqa: F401
from lms.audit.models import AuditEntry  # noqa: F401
from lms.auth.models import User, UserRole  # noqa: F401
from lms.certificates.models import (  # noqa: F401
    Certificate,
    CertificateCounter,
    CertificateDesign,
    CertificateJob,
)
from lms.cohorts.models import Cohort, Enrolment, cohort_trainers  # noqa: F401
from lms.learning.models import (  # noqa: F401
    Course,
    GlossaryTerm,
    Lesson,
    LessonVersion,
    Module,
    ModuleVersion,
)
from lms.surveys.models import Survey, SurveyItem, SurveyItemVersion  # noqa: F401
