"""Report tables: one shape for the page and for the CSV/XLSX download.

A :class:`Table` holds raw values with a kind per column; the page formats them (percentages,
"—" for None) and the exports write numbers as numbers, so a spreadsheet can compute with
them. Every builder here turns the result objects of a report module into a Table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.cohorts import exports
from lms.i18n import local_datetime_text

from . import stats
from .funnel import StageCount
from .health import ModuleHealth
from .items import ItemAnalysis
from .learning import GAIN_EDGES, SCORE_EDGES, Gain, QuizScores, TraineeGain
from .needs import GroupNeeds, ModuleNeed
from .progress import ModuleProgress, TraineeProgress
from .reaction import CourseSatisfaction, Satisfaction
from .survey_results import SurveyResults, TextAnswer

EMPTY = "—"

FLAG_LABELS = {
    "too_easy": _l("Too easy"),
    "too_hard": _l("Too hard"),
    "low_discrimination": _l("Low discrimination"),
}
SIGNAL_LABELS = {
    "low_satisfaction": _l("Low satisfaction"),
    "flagged_items": _l("Questions flagged"),
    "high_need": _l("High demand"),
    "no_gain": _l("No learning gain"),
}
QUIZ_KIND_LABELS = {
    "pre_test": _l("Pre-test"),
    "module_quiz": _l("Module quiz"),
    "post_test": _l("Post-test"),
    "final_exam": _l("Final exam"),
}


@dataclass
class Column:
    heading: str
    #: text, int, num (2 decimals), pct (a 0-1 share shown as %), range (low, high), datetime
    kind: str = "text"


@dataclass
class Table:
    name: str  #: the export's name in the URL
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    links: list[dict[int, str]] = field(default_factory=list)  #: per row: column -> URL
    marked: list[bool] = field(default_factory=list)  #: rows that need attention
    note: str = ""

    def link(self, row: int, col: int) -> str | None:
        return self.links[row].get(col) if row < len(self.links) else None

    def is_marked(self, row: int) -> bool:
        return row < len(self.marked) and self.marked[row]


def format_cell(value, kind: str) -> str:
    """A value as the page shows it; None is always "—"."""
    if value is None:
        return EMPTY
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "num":
        return f"{value:.2f}"
    if kind == "int":
        return str(int(value))
    if kind == "range":
        low, high = value
        if low is None or high is None:
            return EMPTY
        return f"{low:.2f} – {high:.2f}"
    if kind == "pct_range":
        low, high = value
        if low is None or high is None:
            return EMPTY
        return f"{100 * low:.1f}% – {100 * high:.1f}%"
    if kind == "datetime":
        return local_datetime_text(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _export_values(value, kind: str) -> list:
    """The cells a value becomes in a download: numbers stay numbers; an interval is two."""
    if kind in ("range", "pct_range"):
        low, high = value if value is not None else (None, None)
        scale = 100 if kind == "pct_range" else 1
        return [round(v * scale, 4) if v is not None else "" for v in (low, high)]
    if value is None:
        return [""]
    if kind == "pct":
        return [round(100 * value, 2)]
    if kind == "num":
        return [round(value, 4)]
    if kind == "datetime":
        return [local_datetime_text(value)]
    return [value]


def _export_headings(column: Column) -> list[str]:
    if column.kind in ("range", "pct_range"):
        return [
            _("%(name)s, lower bound", name=column.heading),
            _("%(name)s, upper bound", name=column.heading),
        ]
    return [column.heading + (" (%)" if column.kind == "pct" else "")]


def export(table: Table, fmt: str) -> tuple[bytes, str]:
    """The table as CSV or XLSX bytes (formulas neutralised) and its MIME type."""
    headings = [h for c in table.columns for h in _export_headings(c)]
    rows = [
        [cell for v, c in zip(row, table.columns, strict=True) for cell in _export_values(v, c.kind)]
        for row in table.rows
    ]
    if fmt == "csv":
        return exports.to_csv(headings, rows), "text/csv; charset=utf-8"
    return (
        exports.to_xlsx(table.name, headings, rows),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _region(r) -> str:
    return " ".join(p for p in (r.province, r.city, r.county) if p)


def _ci(ci: stats.MeanCI) -> tuple:
    return (ci.low, ci.high)


# -- Overview ------------------------------------------------------------------------------


def funnel_table(stages: list[StageCount]) -> Table:
    t = Table(
        "funnel",
        _("Funnel"),
        [Column(_("Stage")), Column(_("Trainees"), "int"), Column(_("Share of enrolled"), "pct")],
    )
    t.rows = [[str(s.label), s.count, s.share] for s in stages]
    return t


def module_progress_table(rows: list[ModuleProgress], cohort_id: int) -> Table:
    t = Table(
        "modules",
        _("Progress by module"),
        [
            Column(_("Module")),
            Column(_("Number of lessons"), "int"),
            Column(_("Started"), "int"),
            Column(_("Started (share)"), "pct"),
            Column(_("Completed"), "int"),
            Column(_("Completion rate"), "pct"),
        ],
    )
    for m in rows:
        t.rows.append([m.title, m.lessons, m.started, m.started_share, m.completed, m.completion])
        t.links.append({0: url_for("reports.module_health", cohort_id=cohort_id, module_id=m.module_id)})
    return t


def trainees_table(rows: list[TraineeProgress], name: str = "trainees", title: str | None = None) -> Table:
    t = Table(
        name,
        title or _("Trainees"),
        [
            Column(_("Name")),
            Column(_("Region")),
            Column(_("Work unit")),
            Column(_("Position")),
            Column(_("Lessons completed"), "int"),
            Column(_("Modules completed"), "int"),
            Column(_("Credit hours"), "num"),
            Column(_("Active minutes"), "int"),
            Column(_("Last active"), "datetime"),
        ],
    )
    for r in rows:
        t.rows.append(
            [
                r.name,
                _region(r),
                r.work_unit,
                r.position,
                r.lessons_done,
                r.modules_done,
                r.hours,
                r.active_seconds // 60,
                r.last_seen_at,
            ]
        )
    return t


def inactive_table(rows: list[TraineeProgress], days: int) -> Table:
    t = Table(
        "inactive",
        _("No activity for %(days)d days", days=days),
        [
            Column(_("Name")),
            Column(_("Mobile number")),
            Column(_("Region")),
            Column(_("Work unit")),
            Column(_("Lessons completed"), "int"),
            Column(_("Last active"), "datetime"),
        ],
    )
    for r in rows:
        t.rows.append([r.name, r.phone or "", _region(r), r.work_unit, r.lessons_done, r.last_seen_at])
    return t


def hours_bins(hours: list[float], total: float) -> list[tuple[str, int]]:
    """学时 per trainee in about eight equal bins from 0 to the course's total."""
    top = max([total, *hours, 1.0])
    width = max(round(top / 8 + 0.49), 1) if top > 8 else 1
    count = int(top // width) + 1
    bins = [0] * count
    for h in hours:
        bins[min(int(h // width), count - 1)] += 1
    return [(f"{i * width}–{(i + 1) * width}" if width > 1 else f"{i}", n) for i, n in enumerate(bins)]


def hours_table(bins: list[tuple[str, int]]) -> Table:
    t = Table(
        "hours",
        _("Credit hours distribution"),
        [Column(_("Credit hours")), Column(_("Trainees"), "int")],
    )
    t.rows = [[label, n] for label, n in bins]
    return t


# -- Needs ---------------------------------------------------------------------------------


def needs_table(rows: list[ModuleNeed]) -> Table:
    t = Table(
        "needs",
        _("Needs by module"),
        [
            Column(_("Module")),
            Column(_("Need (mean, 1-5)"), "num"),
            Column(_("95% CI"), "range"),
            Column(_("n"), "int"),
            Column(_("Confidence (mean, 1-5)"), "num"),
            Column(_("95% CI"), "range"),
            Column(_("n"), "int"),
            Column(_("Need − confidence"), "num"),
        ],
    )
    for m in rows:
        t.rows.append(
            [
                m.title,
                m.need.mean,
                _ci(m.need),
                m.need.n,
                m.confidence.mean,
                _ci(m.confidence),
                m.confidence.n,
                m.gap,
            ]
        )
        t.marked.append(m.high_demand)
    return t


def needs_groups_table(groups: list[GroupNeeds], modules: list[ModuleNeed], dimension_label) -> Table:
    columns = [Column(str(dimension_label)), Column(_("Respondents"), "int")]
    for m in modules:
        columns += [
            Column(_("%(module)s: need", module=m.title), "num"),
            Column(_("%(module)s: confidence", module=m.title), "num"),
        ]
    t = Table("needs-groups", _("Needs by group"), columns)
    for g in groups:
        row = [g.label, g.respondents]
        for m in modules:
            need, confidence = g.cells.get(m.module_id, (None, None))
            row += [need, confidence]
        t.rows.append(row)
    return t


def survey_table(results: SurveyResults) -> Table:
    """Every closed item's answers: one row per answer option (or matrix row), with means."""
    t = Table(
        "survey",
        results.survey.title,
        [
            Column(_("Question")),
            Column(_("Answer")),
            Column(_("Count"), "int"),
            Column(_("Share"), "pct"),
            Column(_("Mean"), "num"),
            Column(_("n"), "int"),
        ],
    )
    for item in results.items:
        if item.itype == "text":
            t.rows.append(
                [
                    item.prompt,
                    _("(text answers: %(n)d)", n=item.texts),
                    None,
                    None,
                    None,
                    item.respondents,
                ]
            )
            continue
        for part in item.parts:
            question = item.prompt if part.label == item.prompt else f"{item.prompt} · {part.label}"
            mean = part.mean.mean if part.mean else None
            t.rows.append([question, _("(all)"), part.n, None, mean, part.n])
            for bar in part.bars:
                t.rows.append(["", bar.label, bar.count, bar.share, None, None])
        if item.nps is not None:
            t.rows.append(
                [
                    item.prompt,
                    _("Would-recommend score (NPS)"),
                    item.nps.n,
                    None,
                    item.nps.score,
                    item.nps.n,
                ]
            )
    return t


def text_table(answers: list[TextAnswer], name: str, title: str, cohort_id: int | None = None) -> Table:
    """Text answers; with a cohort, each links to recording an action on it (a finding)."""
    t = Table(name, title, [Column(_("Survey")), Column(_("Question")), Column(_("Answer"))])
    t.rows = [[a.survey_title, a.prompt, a.text] for a in answers]
    if cohort_id is not None:
        t.links = [
            {
                2: url_for(
                    "improvement.new_action", finding=f"comment:{a.answer_id}", summary=a.text[:500], cohort=cohort_id
                )
            }
            for a in answers
        ]
    return t


# -- Learning ------------------------------------------------------------------------------


def quiz_scores_table(rows: list[QuizScores], cohort_id: int) -> Table:
    t = Table(
        "quizzes",
        _("Scores and pass rates"),
        [
            Column(_("Quiz")),
            Column(_("Kind")),
            Column(_("Attempts"), "int"),
            Column(_("Mean score (%)"), "num"),
            Column(_("SD"), "num"),
            Column(_("Pass rate"), "pct"),
            Column(_("Trainees who passed"), "int"),
            Column(_("Trainees who took it"), "int"),
        ],
    )
    for q in rows:
        t.rows.append(
            [
                q.quiz.title,
                str(QUIZ_KIND_LABELS.get(str(q.quiz.kind), q.quiz.kind)),
                q.n,
                q.mean,
                q.sd,
                q.pass_rate,
                q.ever_passed,
                q.takers,
            ]
        )
        t.links.append({0: url_for("reports.item_analysis", cohort_id=cohort_id, quiz_id=q.quiz.id)})
    return t


def score_bins(q: QuizScores) -> list[tuple[str, int]]:
    lows = (0, *SCORE_EDGES)
    labels = [f"{lo}–{lo + 9}" for lo in lows[:-1]] + [f"{lows[-1]}–100"]
    return list(zip(labels, q.histogram, strict=True))


def gain_bins(counts: list[int]) -> list[tuple[str, int]]:
    labels = ["<0"] + [f"{e:.1f}" for e in GAIN_EDGES]
    return list(zip(labels, counts, strict=True))


def gain_table(rows: list[Gain], name: str, title: str, first: str) -> Table:
    t = Table(
        name,
        title,
        [
            Column(first),
            Column(_("Trainees with both tests"), "int"),
            Column(_("Pre-test"), "pct"),
            Column(_("Post-test"), "pct"),
            Column(_("Normalised gain (mean)"), "num"),
            Column(_("95% CI"), "range"),
            Column(_("n"), "int"),
        ],
    )
    for g in rows:
        t.rows.append([g.label, g.pairs, g.pre, g.post, g.gain.mean, _ci(g.gain), g.gain.n])
    return t


def trainee_gain_table(rows: list[TraineeGain]) -> Table:
    t = Table(
        "gain-trainees",
        _("Gain by trainee"),
        [
            Column(_("Name")),
            Column(_("Region")),
            Column(_("Work unit")),
            Column(_("Position")),
            Column(_("Pre-test"), "pct"),
            Column(_("Post-test"), "pct"),
            Column(_("Normalised gain"), "num"),
        ],
    )
    t.rows = [[r.name, r.region, r.work_unit, r.position, r.pre, r.post, r.gain] for r in rows]
    return t


# -- Item analysis -------------------------------------------------------------------------


def items_table(analysis: ItemAnalysis, lessons: dict, course_key: str) -> Table:
    t = Table(
        "items",
        _("Item analysis: %(quiz)s", quiz=analysis.quiz.title),
        [
            Column(_("Question")),
            Column(_("Stem")),
            Column(_("Lesson")),
            Column(_("n"), "int"),
            Column(_("Facility index"), "pct"),
            Column(_("Standard deviation"), "pct"),
            Column(_("Discrimination index"), "pct"),
            Column(_("Discriminative efficiency"), "pct"),
            Column(_("Attention")),
        ],
    )
    for item in analysis.items:
        lesson = lessons.get(item.lesson_id)
        t.rows.append(
            [
                item.key,
                item.stem,
                lesson[1] if lesson else "",
                item.n,
                item.facility,
                item.sd,
                item.discrimination,
                item.efficiency,
                "、".join(str(FLAG_LABELS[f]) for f in item.flags),
            ]
        )
        links = {0: url_for("reports.show_question", question_id=item.question_id)}
        if lesson:
            links[2] = url_for("learning.show_lesson", key=course_key, lesson_key=lesson[0])
        t.links.append(links)
        t.marked.append(bool(item.flags))
    return t


def options_table(analysis: ItemAnalysis) -> Table:
    t = Table(
        "options",
        _("Answers by option"),
        [
            Column(_("Question")),
            Column(_("Version"), "int"),
            Column(_("Option")),
            Column(_("Text")),
            Column(_("Correct")),
            Column(_("Chosen"), "int"),
            Column(_("Share"), "pct"),
        ],
    )
    for item in analysis.items:
        for version in analysis.options.get(item.question_id, []):
            for o in version.options:
                t.rows.append(
                    [
                        item.key,
                        version.version,
                        _option_label(o.letter),
                        o.text,
                        _("Yes") if o.is_correct else "",
                        o.count,
                        o.share,
                    ]
                )
                t.marked.append(not o.is_correct and (o.share or 0) == 0)
            if version.blank:
                t.rows.append(
                    [
                        item.key,
                        version.version,
                        _("(blank)"),
                        "",
                        "",
                        version.blank,
                        version.blank / version.n if version.n else None,
                    ]
                )
                t.marked.append(False)
    return t


def _option_label(letter: str) -> str:
    return {"true": _("True"), "false": _("False")}.get(letter, letter)


# -- Reaction ------------------------------------------------------------------------------


def course_satisfaction_table(found: CourseSatisfaction | None) -> Table:
    """The headline and each dimension, every row saying what it averages."""
    t = Table(
        "satisfaction-course",
        _("Course satisfaction"),
        [
            Column(_("Figure")),
            Column(_("What it averages")),
            Column(_("Respondents"), "int"),
            Column(_("Mean (1-5)"), "num"),
            Column(_("95% CI"), "range"),
        ],
    )
    if found is None:
        return t
    if found.overall is not None:
        o = found.overall
        t.rows.append([_("Overall satisfaction"), found.overall_prompt, o.n, o.mean, _ci(o)])
    for d in found.dimensions:
        basis = _("Each respondent's mean of %(n)d statements", n=d.statements)
        t.rows.append([d.prompt, basis, d.score.n, d.score.mean, _ci(d.score)])
    t.note = _(
        "The overall item counts one answer per respondent. A dimension is scored per "
        "respondent (the mean of the statements they rated), then averaged over respondents."
    )
    return t


def satisfaction_table(rows: list[Satisfaction], cohort_id: int) -> Table:
    t = Table(
        "satisfaction",
        _("Satisfaction by module"),
        [
            Column(_("Module")),
            Column(_("Module rating form: respondents"), "int"),
            Column(_("Mean (1-5)"), "num"),
            Column(_("95% CI"), "range"),
            Column(_("Course feedback: respondents"), "int"),
            Column(_("Mean (1-5)"), "num"),
            Column(_("95% CI"), "range"),
        ],
    )
    for s in rows:
        cells = []
        for rating in (s.form, s.course_item):
            if rating is None:
                cells += [None, None, (None, None)]
            else:
                cells += [rating.respondents, rating.score.mean, _ci(rating.score)]
        t.rows.append([s.title, *cells])
        links = {0: url_for("reports.module_health", cohort_id=cohort_id, module_id=s.module_id)}
        t.links.append(links)
        t.marked.append(s.low)
    t.note = _(
        "Each respondent's mean of the 1-5 items about the module, then the mean over "
        "respondents: from the rating form answered after the module, and from the course "
        "feedback's items about it. Both forms are anonymous and cannot be joined, so their "
        "respondents are counted apart, never added; the chart shows the module form where it "
        "was answered."
    )
    if any(r is not None and r.suppressed for s in rows for r in (s.form, s.course_item)):
        t.note += " " + _("Anonymous answers from fewer people than the minimum group are hidden (—).")
    return t


# -- Module health and comparison -----------------------------------------------------------


def module_items_table(health: ModuleHealth) -> Table:
    t = Table(
        "module-items",
        _("Questions of this module"),
        [
            Column(_("Quiz")),
            Column(_("Question")),
            Column(_("n"), "int"),
            Column(_("Facility index"), "pct"),
            Column(_("Discrimination index"), "pct"),
            Column(_("Attention")),
        ],
    )
    for entry in health.items:
        item = entry.item
        t.rows.append(
            [
                entry.quiz_title,
                item.key,
                item.n,
                item.facility,
                item.discrimination,
                "、".join(str(FLAG_LABELS[f]) for f in item.flags),
            ]
        )
        t.links.append({1: url_for("reports.show_question", question_id=item.question_id)})
        t.marked.append(bool(item.flags))
    return t


@dataclass
class CohortFigures:
    cohort_id: int
    name: str
    starts_on: date
    stages: list[StageCount]
    pre: float | None
    post: float | None
    gain: stats.MeanCI | None
    final_pass_rate: float | None
    satisfaction: stats.MeanCI | None
    nps: float | None


def compare_table(figures: list[CohortFigures]) -> Table:
    stage_labels = [(s.key, str(s.label)) for s in figures[0].stages] if figures else []
    t = Table(
        "compare",
        _("Cohorts compared"),
        [
            Column(_("Cohort")),
            Column(_("Starts on")),
            *[Column(label, "int") for _key, label in stage_labels],
            Column(_("Completion rate"), "pct"),
            Column(_("Pre-test"), "pct"),
            Column(_("Post-test"), "pct"),
            Column(_("Normalised gain (mean)"), "num"),
            Column(_("95% CI"), "range"),
            Column(_("Final exam pass rate"), "pct"),
            Column(_("Overall satisfaction (1-5)"), "num"),
            Column(_("Would-recommend score (NPS)"), "num"),
        ],
    )
    for f in figures:
        counts = {s.key: s for s in f.stages}
        completed = counts.get("completed")
        t.rows.append(
            [
                f.name,
                f.starts_on.isoformat(),
                *[counts[key].count for key, _l in stage_labels],
                completed.share if completed else None,
                f.pre,
                f.post,
                f.gain.mean if f.gain else None,
                _ci(f.gain) if f.gain else (None, None),
                f.final_pass_rate,
                f.satisfaction.mean if f.satisfaction else None,
                f.nps,
            ]
        )
        t.links.append({0: url_for("reports.overview", cohort_id=f.cohort_id)})
    return t
