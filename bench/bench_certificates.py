"""Benchmark: certificate PDFs against a bare WeasyPrint render, and 200 certificates end to end.

Run it as ``python bench/bench_certificates.py [--count 200]``. It builds a throw-away app
(SQLite and storage in a temporary folder), measures in one process:

1. the baseline: WeasyPrint rendering a minimal page (warm, median of several runs);
2. one certificate (the real template, CJK fonts, QR code, PDF/A-3b), warm median;
3. issuing ``--count`` certificates (numbering and rows, no PDF), then rendering, storing and
   zipping all of them through the ZIP job, as an organizer's bulk download would;

and prints a small table. Absolute figures drift with the machine; the ratio holds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def build_app(folder: Path):
    os.environ.setdefault("LMS_INSTANCE_PATH", str(folder / "instance"))
    from lms import create_app
    from lms.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "LMS_STORAGE_PATH": str(folder / "storage"),
            "PUBLIC_BASE_URL": "https://peixun.example.cn",
            "CERT_ZIP_SYNC_LIMIT": 10**6,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def seed(app, count: int):
    """A course, a cohort and ``count`` enrolled trainees with realistic names."""
    from lms.auth.models import Role, User
    from lms.cohorts.models import Cohort, Enrolment
    from lms.extensions import db
    from lms.learning.models import Course

    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    with app.app_context():
        course = Course(
            key="bench",
            code="JYBF",
            title="教育帮扶政策培训",
            content_hash="x",
            credit_hours=16,
            settings={"certificate": {"issuer": "教育帮扶政策培训项目组"}},
        )
        organizer = User(name="组织者", phone="13000000000", password_hash="x")
        organizer.set_roles({Role.ORGANIZER})
        db.session.add_all([course, organizer])
        db.session.flush()
        today = date.today()
        cohort = Cohort(
            course_id=course.id,
            name="2026年秋季第一期",
            starts_on=today - timedelta(days=20),
            ends_on=today,
            enrol_until=today,
            enrol_code="BENCH001",
            invite_token="b" * 43,
        )
        db.session.add(cohort)
        db.session.flush()
        for i in range(count):
            name = surnames[i % 20] + given[(i // 20) % 20] + (given[i % 7] if i % 3 else "")
            user = User(name=name, phone=f"139{i:08d}", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(cohort_id=cohort.id, user_id=user.id))
        db.session.commit()
        return cohort.id, organizer.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="certificates to issue and render")
    parser.add_argument("--runs", type=int, default=7, help="runs for each median")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        app = build_app(Path(tmp))
        cohort_id, organizer_id = seed(app, args.count)

        from weasyprint import HTML

        from lms.auth.models import User
        from lms.certificates import eligibility, jobs, service
        from lms.certificates.eligibility import RequirementStatus
        from lms.certificates.models import Certificate
        from lms.certificates.pdf import render_pdf
        from lms.cohorts.models import Cohort
        from lms.db import write_transaction
        from lms.extensions import db

        for rule in eligibility.RULE_LABELS:
            eligibility.register_check(rule, lambda u, c, r=rule: RequirementStatus(r, r, True))

        with app.app_context():

            def bare():
                return HTML(string="<!doctype html><p>证书 certificate</p>").write_pdf()

            bare()  # warm-up: imports, fontconfig
            bare_ms = median_ms(bare, args.runs)
            sample = service.sample_view(db.session.get(Cohort, cohort_id), "https://peixun.example.cn")
            pdf = render_pdf(sample)
            one_ms = median_ms(lambda: render_pdf(sample), args.runs)

            user_ids = db.session.scalars(db.select(User.id).where(User.id != organizer_id)).all()
            start = time.perf_counter()
            for user_id in user_ids:
                with write_transaction():
                    service.auto_issue(user_id, db.session.get(Cohort, cohort_id), "https://peixun.example.cn")
            issue_s = time.perf_counter() - start

            with write_transaction():
                job, _ = jobs.start_zip_job(db.session.get(User, organizer_id), db.session.get(Cohort, cohort_id))
                job_id = job.id
            start = time.perf_counter()
            jobs.run_zip_job(job_id)
            bulk_s = time.perf_counter() - start
            sizes = db.session.scalars(db.select(Certificate.pdf_size)).all()
            job = db.session.get(jobs.CertificateJob, job_id)
            assert job.status == "done" and len(sizes) == args.count, job.error

    n = args.count
    rows = [
        ("bare WeasyPrint, minimal page (median)", f"{bare_ms:.0f} ms"),
        ("one certificate, CJK + QR + PDF/A-3b (median)", f"{one_ms:.0f} ms"),
        ("ratio certificate / bare", f"{one_ms / bare_ms:.1f} x"),
        ("certificate PDF size", f"{len(pdf) / 1024:.0f} KB"),
        (f"issue {n} certificates (numbers, rows; no PDF)", f"{issue_s:.2f} s  ({n / issue_s:.0f}/s)"),
        (
            f"render + store + ZIP {n} certificates (1 process)",
            f"{bulk_s:.1f} s  ({n / bulk_s:.1f}/s, {1000 * bulk_s / n:.0f} ms each)",
        ),
        ("mean stored PDF size", f"{statistics.mean(sizes) / 1024:.0f} KB"),
    ]
    width = max(len(label) for label, _ in rows)
    print("certificates benchmark")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
