"""学时证明: a printable statement of one trainee's credit hours in a course, from their standing.

Rendered on demand (it states the hours as they are now, so it is never stored) with the
certificates' WeasyPrint set-up: system CJK fonts, and a fetcher that loads nothing but the
stylesheet folder and the fonts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale

from lms.auth.models import User
from lms.certificates.pdf import font_config, make_fetcher, stylesheet_dir
from lms.i18n import local_datetime_text

from .models import Course
from .standing import CourseStanding


def statement_html(standing: CourseStanding, trainee: User, course: Course, cohort, issuer: str, now: datetime) -> str:
    """The statement as HTML, in the default language (it is a Chinese document)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return render_template(
            "learning/hours_statement.html",
            standing=standing,
            trainee=trainee,
            course=course,
            cohort=cohort,
            issuer=issuer,
            made=local_datetime_text(now),
        )


def statement_pdf(standing: CourseStanding, trainee: User, course: Course, cohort, issuer: str, now: datetime) -> bytes:
    from weasyprint import HTML

    fetcher = make_fetcher()
    html = statement_html(standing, trainee, course, cohort, issuer, now)
    document = HTML(string=html, base_url=stylesheet_dir().as_uri() + "/", url_fetcher=fetcher)
    identifier = hashlib.sha256(f"{trainee.id}:{course.id}:{now.isoformat()}".encode()).hexdigest()[:32]
    pdf = document.write_pdf(font_config=font_config(), pdf_identifier=identifier.encode())
    if fetcher.refused:
        raise RuntimeError(f"hours statement loaded refused URLs: {fetcher.refused}")
    return pdf
