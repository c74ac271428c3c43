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
from lms.auth.login_sessions import LoginSession  # noqa: F401
from lms.auth.models import User, UserRole  # noqa: F401
from lms.authoring.models import ContentDraft, CourseAuthor  # noqa: F401
from lms.certificates.models import (  # noqa: F401
    Certificate,
    CertificateCounter,
    CertificateDesign,
    CertificateJob,
)
from lms.cohorts.models import Cohort, Enrolment, cohort_trainers  # noqa: F401
from lms.discussions.models import Post  # noqa: F401
from lms.improvement.models import ActionVersionLink, ImprovementAction  # noqa: F401
from lms.learning import search  # noqa: F401  (the search index is created with lessons)
from lms.learning.credit_models import CreditRuleSetting  # noqa: F401
from lms.learning.models import (  # noqa: F401
    Course,
    GlossaryTerm,
    Lesson,
    LessonVersion,
    Module,
    ModuleVersion,
)
from lms.learning.progress_models import LessonProgress  # noqa: F401
from lms.suggestions.models import Suggestion, SuggestionReply  # noqa: F401
from lms.surveys.models import (  # noqa: F401
    SentReminder,
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyItemVersion,
    SurveyParticipation,
    SurveyResponse,
    SurveyWindow,
)
