"""Validation of each kind of course file, turning it into the plain data of :mod:`.spec`.

Readers record every problem they find and carry on, so one run reports them all. Checks
that need other files (does this lesson exist? is this module earlier?) are queued with
:meth:`Context.later` and run on the :class:`Index` of the whole course once it is read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lms.assessment.models import Difficulty, QuestionType, QuizKind
from lms.learning.models import LessonKind
from lms.surveys.models import ItemType, SurveyKind

from .fields import Fields
from .images import ImageRef, check_image
from .markdown import check_markdown, render_markdown
from .problems import Problems
from .reader import FrontMatterDocument, YMap
from .spec import (
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    QuestionSpec,
    QuizSpec,
    SurveyItemSpec,
    SurveySpec,
    TermSpec,
)

# the vocabularies are the model enums' (one list of each, where the data lives)
LESSON_KINDS = tuple(k.value for k in LessonKind)
CASE_SECTIONS = ("背景", "主要做法", "成效", "讨论题")
QUESTION_TYPES = tuple(t.value for t in QuestionType)
DIFFICULTIES = tuple(d.value for d in Difficulty)
QUIZ_KINDS = tuple(k.value for k in QuizKind)
REVIEW_MODES = ("immediately", "after_close", "never")
SURVEY_KINDS = tuple(k.value for k in SurveyKind)
ITEM_TYPES = tuple(t.value for t in ItemType)
MEASURES = ("need", "confidence")
COMPLETION_MODES = ("button", "scroll")
SCORING_MODES = ("all_or_nothing", "partial")
SEQUENCES = ("strict", "free")  # the order trainees take the course in (lms/learning/sequence.py)
CREDIT_MODES = ("module", "time")  # credit_rule.mode: a module's hours when done, or by time
PRE_TEST = "pre-test"  #: the special prerequisite "the pre-test has been taken"
MAX_OPTIONS = 6
LETTERS = "ABCDEF"
BLANK = re.compile(r"_{4,}")
TITLE_LENGTH = 200
TERM_LENGTH = 64


@dataclass
class Index:
    """Everything read from one course, for the checks that span files.

    ``known`` holds every key claimed in the files, valid item or not, so one broken
    question does not also make each quiz that lists it report "does not exist".
    """

    #: module keys from the folder names, in order
    module_keys: list[str] = field(default_factory=list)
    modules: dict[str, ModuleSpec] = field(default_factory=dict)
    quizzes: dict[str, QuizSpec] = field(default_factory=dict)
    #: kinds of the quiz and survey files present
    quiz_kinds: set[str] = field(default_factory=set)
    survey_kinds: set[str] = field(default_factory=set)
    #: what -> key -> scope, e.g. "question id" -> "m01-q01" -> "policy-background"
    known: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def quiz_of_kind(self, kind: str) -> QuizSpec | None:
        return next((q for q in self.quizzes.values() if q.kind == kind), None)

    def scope_of(self, what: str, key: str) -> str | None:
        """The scope a key was claimed with (its module, say); KeyError when unknown."""
        return self.known.get(what, {})[key]

    def has(self, what: str, key: str) -> bool:
        return key in self.known.get(what, {})


Check = Callable[[Index], None]


class Context:
    """What the readers of one course share: problems, queued checks and claimed ids."""

    def __init__(self, problems: Problems, course_key: str):
        self.problems = problems
        self.course_key = course_key
        self.checks: list[Check] = []
        self._claimed: dict[tuple[str, str], tuple[str, int]] = {}
        self.known: dict[str, dict[str, str | None]] = {}

    def later(self, check: Check) -> None:
        """Run ``check`` once the whole course has been read."""
        self.checks.append(check)

    def claim(
        self,
        what: str,
        key: str | None,
        file: str,
        line: int,
        scope: str | None = None,
    ) -> bool:
        """Record that ``key`` names a ``what`` here; report it if it was used before."""
        if key is None:
            return False
        self.known.setdefault(what, {}).setdefault(key, scope)
        first = self._claimed.setdefault((what, key), (file, line))
        if first != (file, line):
            self.problems.add(file, line, f"duplicate {what} '{key}' (first used at {first[0]}:{first[1]})")
            return False
        return True

    def run_checks(self, index: Index) -> None:
        for check in self.checks:
            check(index)


# -- course.yaml ------------------------------------------------------------------------


def read_course(f: Fields, ctx: Context) -> CourseSpec | None:
    """Read course.yaml; the certificate's references are checked later."""
    key = f.key("key")
    code = f.text("code")
    if code is not None and not re.fullmatch(r"[A-Z]{2,8}", code):
        f.problem_at("code", "'code' must be 2 to 8 upper-case letters (A-Z)")
        code = None
    title = f.text("title", max_length=TITLE_LENGTH)
    summary = f.text("summary", required=False)
    objectives = f.text_list("objectives", required=False)
    credit_hours = f.number("credit_hours", minimum=0)
    completion = f.choice("completion", COMPLETION_MODES, required=False, default="button")
    certificate = _read_certificate(f, ctx, credit_hours)
    if credit_hours is not None:
        ctx.later(_credit_hours_cover_modules(f, credit_hours))
    quiz_defaults = {"pass_mark": 60, "multiple_choice_scoring": "all_or_nothing"}
    defaults = f.mapping("quiz_defaults", required=False)
    if defaults is not None:
        quiz_defaults = {
            "pass_mark": defaults.integer("pass_mark", False, 60, minimum=0, maximum=100),
            "multiple_choice_scoring": defaults.choice(
                "multiple_choice_scoring", SCORING_MODES, False, "all_or_nothing"
            ),
        }
        defaults.finish()
    credit_rule = _read_credit_rule(f)
    sequence = f.choice("sequence", SEQUENCES, required=False)
    f.finish()
    if None in (key, code, title, objectives, credit_hours, completion, certificate, credit_rule):
        return None
    settings = {
        "completion": completion,
        "certificate": certificate,
        "quiz_defaults": quiz_defaults,
        "credit_rule": credit_rule,
    }
    if sequence is not None:  # written only when given, so existing courses keep their hash
        settings["sequence"] = sequence
    return CourseSpec(key, code, title, summary, objectives, credit_hours, settings)


def _read_credit_rule(f: Fields) -> dict | None:
    """How 学时 are credited: a module's hours once it is done, or from active time."""
    rule = f.mapping("credit_rule", required=False)
    if rule is None:
        return None if f.has("credit_rule") else {"mode": "module", "minutes_per_hour": 45}
    mode = rule.choice("mode", CREDIT_MODES, False, "module")
    minutes = rule.integer("minutes_per_hour", False, 45, minimum=1, maximum=120)
    rule.finish()
    if None in (mode, minutes):
        return None
    return {"mode": mode, "minutes_per_hour": minutes}


def _read_certificate(f: Fields, ctx: Context, credit_hours: float | None) -> dict | None:
    cert = f.mapping("certificate", required=False)
    if cert is None:
        if f.has("certificate"):
            return None
        return {
            "required_modules": "all",
            "final_exam": False,
            "feedback": False,
            "min_credit_hours": 0.0,
            "issuer": "",
        }
    line = cert.value_line("required_modules")
    raw = cert.data.get("required_modules", "all")
    if raw == "all":
        cert.raw("required_modules", required=False)
        required = "all"
    else:
        required = cert.key_list("required_modules", min_items=1)
    final_exam = cert.boolean("final_exam")
    feedback = cert.boolean("feedback")
    min_hours = cert.number("min_credit_hours", required=False, default=0.0, minimum=0)
    issuer = cert.text("issuer", required=False, max_length=TITLE_LENGTH)
    if min_hours is not None and credit_hours is not None and min_hours > credit_hours:
        cert.problem_at("min_credit_hours", "'min_credit_hours' is more than the course's credit_hours")
    cert.finish()

    def check(index: Index) -> None:
        for module_key in required if isinstance(required, list) else []:
            if module_key not in index.module_keys:
                cert.problem(line, f"required module '{module_key}' does not exist")
        if final_exam and "final_exam" not in index.quiz_kinds:
            cert.problem_at("final_exam", "the certificate needs a final exam: add quizzes/final-exam.yaml")
        if feedback and "feedback" not in index.survey_kinds:
            cert.problem_at("feedback", "the certificate needs the feedback survey: add surveys/feedback.yaml")

    ctx.later(check)
    if required is None or min_hours is None:
        return None
    return {
        "required_modules": required,
        "final_exam": final_exam,
        "feedback": feedback,
        "min_credit_hours": min_hours,
        "issuer": issuer,
    }


def _credit_hours_cover_modules(f: Fields, credit_hours: float) -> Check:
    def check(index: Index) -> None:
        total = sum(m.credit_hours for m in index.modules.values())
        if credit_hours + 1e-9 < total:
            f.problem_at("credit_hours", f"'credit_hours' {credit_hours:g} is less than the modules' total {total:g}")

    return check


# -- glossary.yaml ----------------------------------------------------------------------


def read_glossary(f: Fields, ctx: Context) -> list[TermSpec]:
    """Read glossary.yaml: terms are unique; a term's lesson must exist."""
    terms: list[TermSpec] = []
    for item in f.mappings("terms", what="each term"):
        term = item.text("term", max_length=TERM_LENGTH)
        definition = item.text("definition")
        lesson = item.key("lesson", required=False)
        item.finish()
        if not ctx.claim("glossary term", term, f.file, item.line) or definition is None:
            continue
        if lesson:
            ctx.later(_lesson_exists(item, lesson))
        terms.append(TermSpec(term, definition, lesson, position=len(terms)))
    f.finish()
    return terms


def _lesson_exists(f: Fields, lesson: str, module: str | None = None) -> Check:
    def check(index: Index) -> None:
        if not index.has("lesson key", lesson):
            f.problem_at("lesson", f"lesson '{lesson}' does not exist")
        elif module is not None and index.scope_of("lesson key", lesson) != module:
            f.problem_at("lesson", f"lesson '{lesson}' is not in module '{module}'")

    return check


# -- module.yaml ------------------------------------------------------------------------


def read_module(f: Fields, ctx: Context, folder_key: str) -> ModuleSpec | None:
    """Read module.yaml; its key must match the folder's name (NN-<key>)."""
    key = f.key("key")
    if key is not None and key != folder_key:
        f.problem_at("key", f"module key '{key}' does not match its folder's name (NN-{folder_key})")
        key = None
    title = f.text("title", max_length=TITLE_LENGTH)
    summary = f.text("summary", required=False)
    objectives = f.text_list("objectives", required=False)
    credit_hours = f.number("credit_hours", minimum=0)
    prerequisites = f.key_list("prerequisites", required=False)
    f.finish()
    if key is not None and prerequisites:
        ctx.later(_prerequisites_exist(f, key, prerequisites))
    if None in (key, title, objectives, credit_hours, prerequisites):
        return None
    return ModuleSpec(key, title, summary, objectives, credit_hours, prerequisites)


def _prerequisites_exist(f: Fields, key: str, prerequisites: list[str]) -> Check:
    def check(index: Index) -> None:
        for prerequisite in prerequisites:
            if prerequisite == PRE_TEST:
                if "pre_test" not in index.quiz_kinds:
                    f.problem_at("prerequisites", "prerequisite 'pre-test' needs quizzes/pre-test.yaml")
            elif prerequisite not in index.module_keys:
                f.problem_at("prerequisites", f"prerequisite module '{prerequisite}' does not exist")
            elif index.module_keys.index(prerequisite) >= index.module_keys.index(key):
                f.problem_at("prerequisites", f"prerequisite '{prerequisite}' must be an earlier module")

    return check


# -- lessons ----------------------------------------------------------------------------


def read_lesson(
    doc: FrontMatterDocument | None,
    file: str,
    problems: Problems,
    ctx: Context,
    file_key: str,
    module_dir: Path,
    module_key: str,
) -> LessonSpec | None:
    """Read a lesson file: front matter, then a safe body whose images exist."""
    if doc is None:
        ctx.claim("lesson key", file_key, file, 1, scope=module_key)
        problems.add(file, 1, "a lesson starts with front matter between two '---' lines")
        return None
    for line, message in doc.meta.errors:
        problems.add(file, line, message)
    if doc.meta.data is None and doc.meta.errors:
        ctx.claim("lesson key", file_key, file, 1, scope=module_key)
        return None
    f = Fields.of(doc.meta.data, 2, file, problems, "the front matter")
    if f is None:
        return None
    key = f.key("key")
    if key is not None and key != file_key:
        f.problem_at("key", f"lesson key '{key}' does not match the file name '{Path(file).name}'")
        key = None
    # Claimed by the file's key even when the front matter is wrong: no knock-on problems.
    ctx.claim("lesson key", file_key, file, f.value_line("key"), scope=module_key)
    title = f.text("title", max_length=TITLE_LENGTH)
    kind = f.choice("kind", LESSON_KINDS)
    minutes = f.integer("minutes", minimum=1)
    f.finish()

    checked = check_markdown(doc.body, doc.body_line)
    for line, message in checked.problems:
        problems.add(file, line, message)
    body = doc.body.strip("\n")
    if not body.strip():
        problems.add(file, doc.body_line, "the lesson has no content")
    if kind == "case":
        sections = {text for level, text in checked.headings if level == 2}
        missing = [s for s in CASE_SECTIONS if s not in sections]
        if missing:
            f.problem_at(
                "kind",
                "a case lesson needs the ## sections " + ", ".join(CASE_SECTIONS) + "; missing: " + ", ".join(missing),
            )
    images: dict[str, ImageRef] = {}
    for line, src in checked.images:
        image, message = check_image(module_dir, src)
        if message:
            problems.add(file, line, message)
        elif image is not None:
            images[src] = image
    if None in (key, title, kind, minutes):
        return None
    urls = {src: image.url(ctx.course_key) for src, image in images.items()}
    rendered = render_markdown(body, urls)
    return LessonSpec(
        key,
        title,
        kind,
        minutes,
        body,
        images=list(images.values()),
        body_html=rendered.html,
        toc=rendered.toc,
        search_text=f"{title}\n{rendered.text}",
    )


# -- questions.yaml ---------------------------------------------------------------------


def read_questions(f: Fields, ctx: Context, module_key: str) -> list[QuestionSpec]:
    """Read a module's question bank."""
    questions = []
    for item in f.mappings("questions", what="each question"):
        question = _read_question(item, ctx, module_key)
        if question is not None:
            questions.append(question)
    f.finish()
    return questions


def _read_question(f: Fields, ctx: Context, module_key: str) -> QuestionSpec | None:
    key = f.key("id")
    claimed = ctx.claim("question id", key, f.file, f.value_line("id"), scope=module_key)
    qtype = f.choice("type", QUESTION_TYPES)
    stem = f.text("stem")
    options: list[str] | None = []
    if qtype in ("single", "multiple"):
        options = f.text_list("options", min_items=2, max_items=MAX_OPTIONS)
    answer = _read_answer(f, qtype, options)
    if qtype == "fill_blank" and stem is not None and len(BLANK.findall(stem)) != 1:
        f.problem_at("stem", "a fill_blank stem must mark exactly one blank with ____")
    explanation = f.text("explanation", required=False)
    lesson = f.key("lesson", required=False)
    difficulty = f.choice("difficulty", DIFFICULTIES, required=False, default="medium")
    tags = f.text_list("tags", required=False)
    f.finish({"options": "is only for single and multiple questions"})
    if lesson:
        ctx.later(_lesson_exists(f, lesson, module_key))
    if not claimed or None in (qtype, stem, options, answer, difficulty, tags):
        return None
    return QuestionSpec(
        key, qtype, stem, options, answer, explanation, lesson or None, difficulty, tags, module_key=module_key
    )


def _read_answer(f: Fields, qtype: str | None, options: list[str] | None):
    """The answer in its stored form: letter(s), a bool, accepted texts or a reference text."""
    if qtype is None:
        f.raw("answer", required=False)
        return None
    letters = LETTERS[: len(options)] if options else ""
    shown = f"{letters[0]}-{letters[-1]}" if letters else ""
    if qtype == "single":
        answer = f.text("answer")
        if answer is not None and options and answer not in letters:
            f.problem_at("answer", f"answer '{answer}' is not among the options {shown}")
            return None
        return answer
    if qtype == "multiple":
        answer = f.text_list("answer", min_items=1)
        if answer is not None and options:
            wrong = [a for a in answer if a not in letters]
            if wrong:
                verb = "is" if len(wrong) == 1 else "are"
                f.problem_at("answer", f"answer {', '.join(wrong)} {verb} not among the options {shown}")
                return None
        return sorted(answer) if answer is not None else None
    if qtype == "true_false":
        return f.boolean("answer", required=True, default=None)
    if qtype == "fill_blank":
        return f.text_list("answer", min_items=1)
    return f.text("answer")  # short_answer: a reference answer for the trainer


# -- quizzes ----------------------------------------------------------------------------


def read_quiz(
    f: Fields,
    ctx: Context,
    expected_kind: str,
    module_key: str | None,
    default_pass_mark: int,
) -> QuizSpec | None:
    """Read a quiz file: a module's quiz.yaml (module_key given) or one under quizzes/."""
    key = f.key("key")
    ctx.claim("quiz key", key, f.file, f.value_line("key"), scope=expected_kind)
    kind = f.choice("kind", QUIZ_KINDS)
    if kind is not None and kind != expected_kind:
        f.problem_at("kind", f"this file holds a {expected_kind} quiz, not {kind}")
        kind = None
    title = f.text("title", max_length=TITLE_LENGTH)
    quiz_module = None
    if expected_kind == "module_quiz":
        quiz_module = f.key("module")
        if quiz_module is not None and quiz_module != module_key:
            f.problem_at("module", f"this quiz is in module '{module_key}', not '{quiz_module}'")
            quiz_module = None
    questions, draw = _read_quiz_questions(f, ctx, expected_kind, module_key)
    settings = {
        "time_limit_minutes": f.integer("time_limit_minutes", False, minimum=1, nullable=True),
        "max_attempts": f.integer("max_attempts", False, minimum=1, nullable=True),
        "pass_mark": f.integer("pass_mark", False, default_pass_mark, minimum=0, maximum=100),
        "shuffle_questions": f.boolean("shuffle_questions"),
        "shuffle_options": f.boolean("shuffle_options"),
        "review": _read_review(f),
        "draw": draw,
    }
    # Written into the settings only when given, so existing quizzes keep their content hash.
    scoring = f.choice("multiple_choice_scoring", SCORING_MODES, required=False)
    if scoring is not None:
        settings["multiple_choice_scoring"] = scoring
    if expected_kind == "post_test":
        parallel_to = f.key("parallel_to", required=False)
        settings["parallel_to"] = parallel_to or None
        if parallel_to:
            ctx.later(_parallel_exists(f, parallel_to))
        if questions:
            ctx.later(_parallel_forms(f, questions))
    f.finish(
        {
            "module": "is only for module quizzes",
            "parallel_to": "is only for the post-test",
        }
    )
    if settings["review"] is _BAD:
        return None
    if None in (key, kind, title, questions, settings["pass_mark"]):
        return None
    if expected_kind == "module_quiz" and quiz_module is None:
        return None
    return QuizSpec(key, kind, title, quiz_module, questions, settings)


_BAD = object()
REVIEW_PARTS = ("score", "correctness", "answer", "explanation")
REVIEW_TIMES = ("during", "immediately", "open", "closed")


def _read_review(f: Fields):
    """``review``: one of the older words, or what is shown when (Moodle's review options):
    a mapping of immediately / open / closed (and an empty ``during``) to lists of parts.
    None when absent (the quiz kind's defaults apply); _BAD when wrong."""
    if not f.has("review"):
        f.raw("review", required=False)
        return None
    if isinstance(f.data["review"], str):
        value = f.choice("review", REVIEW_MODES, required=False)
        return _BAD if value is None else value
    review = f.mapping("review")
    if review is None:
        return _BAD

    def part(text: str) -> str | None:
        return None if text in REVIEW_PARTS else f"'{text}' must be one of {', '.join(REVIEW_PARTS)}"

    result = {}
    for when in REVIEW_TIMES:
        parts = review.text_list(when, required=False, item_check=part)
        if parts is None:
            return _BAD
        if when == "during" and parts:
            review.problem_at(when, "nothing can be shown during the attempt: answers are graded when it is submitted")
            return _BAD
        if when != "during":
            result[when] = parts
    review.finish()
    return result


def _read_quiz_questions(
    f: Fields,
    ctx: Context,
    kind: str,
    module_key: str | None,
) -> tuple[list[str] | None, list[dict] | None]:
    """The fixed question list, or the draw rules (exactly one of the two)."""
    if f.has("questions") == f.has("draw"):
        both = "not both" if f.has("questions") else "one of them"
        f.problem(f.line, f"a quiz needs either 'questions' or 'draw' ({both})")
        f.raw("questions", required=False)
        f.raw("draw", required=False)
        return None, None
    if f.has("questions"):
        questions = f.key_list("questions", min_items=1)
        if questions is not None:
            ctx.later(_questions_exist(f, questions, module_key))
        return questions, None
    if kind in ("pre_test", "post_test"):
        f.problem_at("draw", "the pre-test and post-test list their questions (no draw)")
        f.raw("draw")
        return None, None
    draw: list[dict] = []
    ok = True
    for rule in f.mappings("draw", what="each rule"):
        module = rule.key("module")
        count = rule.integer("count", minimum=1)
        exclude = rule.text_list("exclude_tags", required=False)
        tags = rule.text_list("tags", required=False)
        rule.finish()
        if module is not None and module_key is not None and module != module_key:
            rule.problem_at("module", f"a module quiz draws from its own module '{module_key}'")
            module = None
        if module is not None and any(d["module"] == module for d in draw):
            rule.problem_at("module", f"module '{module}' has two draw rules")
            module = None
        if None in (module, count, exclude, tags):
            ok = False
            continue
        entry = {"module": module, "count": count, "exclude_tags": exclude}
        if tags:  # written only when given, so existing quizzes keep their content hash
            entry["tags"] = tags
        draw.append(entry)
        ctx.later(_draw_possible(rule, module, count, exclude, tags))
    if not draw:
        if ok and isinstance(f.data["draw"], list):
            f.problem_at("draw", "'draw' needs at least one rule")
        ok = False
    return ([] if ok else None), (draw if ok else None)


def _questions_exist(f: Fields, questions: list[str], module_key: str | None) -> Check:
    items = f.data["questions"]

    def check(index: Index) -> None:
        for position, key in enumerate(questions):
            line = items.item_line(position)
            if not index.has("question id", key):
                f.problem(line, f"question '{key}' does not exist")
            elif module_key is not None and index.scope_of("question id", key) != module_key:
                f.problem(line, f"question '{key}' is not in module '{module_key}'")

    return check


def _draw_possible(rule: Fields, module: str, count: int, exclude: list[str], tags: list[str] = ()) -> Check:
    def check(index: Index) -> None:
        if module not in index.module_keys:
            rule.problem_at("module", f"module '{module}' does not exist")
            return
        spec = index.modules.get(module)
        if spec is None:
            return  # its module.yaml has problems of its own
        used = {tag for m in index.modules.values() for q in m.questions for tag in q.tags}
        for tag in exclude:
            if tag not in used:
                rule.problem_at("exclude_tags", f"no question has the tag '{tag}'")
        for tag in tags:
            if tag not in used:
                rule.problem_at("tags", f"no question has the tag '{tag}'")
        available = [
            q for q in spec.questions if not set(q.tags) & set(exclude) and (not tags or set(q.tags) & set(tags))
        ]
        if count > len(available):
            rule.problem_at(
                "count",
                f"cannot draw {count} questions from module '{module}': "
                f"only {len(available)} left after excluding tags",
            )

    return check


def _parallel_exists(f: Fields, parallel_to: str) -> Check:
    def check(index: Index) -> None:
        if not index.has("quiz key", parallel_to) or (index.scope_of("quiz key", parallel_to) != "pre_test"):
            f.problem_at("parallel_to", f"'{parallel_to}' is not the key of the pre-test")

    return check


def _parallel_forms(f: Fields, post_questions: list[str]) -> Check:
    """The post-test has no question of the pre-test and the same count per module."""

    def check(index: Index) -> None:
        pre = index.quiz_of_kind("pre_test")
        if pre is None:
            return
        common = [q for q in post_questions if q in pre.questions]
        if common:
            f.problem_at("questions", "the pre-test and post-test share questions: " + ", ".join(common))

        def blueprint(questions: list[str]) -> Counter:
            return Counter(index.scope_of("question id", q) for q in questions if index.has("question id", q))

        pre_counts, post_counts = blueprint(pre.questions), blueprint(post_questions)
        if pre_counts != post_counts:
            differences = [
                f"{key} {pre_counts[key]} vs {post_counts[key]}"
                for key in index.module_keys
                if pre_counts[key] != post_counts[key]
            ]
            f.problem_at(
                "questions",
                "the post-test's questions per module differ from the "
                "pre-test's (pre vs post): " + "; ".join(differences),
            )

    return check


# -- surveys ----------------------------------------------------------------------------

_ITEM_KEYS = {
    "likert": {"labels"},
    "single": {"options"},
    "multiple": {"options"},
    "rating10": set(),
    "matrix": {"rows", "labels"},
    "number": {"min", "max"},
    "text": set(),
}
_ITEM_EXTRAS = {"labels", "options", "rows", "min", "max"}


def read_survey(f: Fields, ctx: Context, expected_kind: str) -> SurveySpec | None:
    """Read a survey file; item ids are unique in the survey."""
    key = f.key("key")
    ctx.claim("survey key", key, f.file, f.value_line("key"))
    kind = f.choice("kind", SURVEY_KINDS)
    if kind is not None and kind != expected_kind:
        f.problem_at("kind", f"this file holds the {expected_kind} survey, not {kind}")
        kind = None
    title = f.text("title", max_length=TITLE_LENGTH)
    intro = f.text("intro", required=False)
    anonymous = f.boolean("anonymous")
    allow_edit = f.boolean("allow_edit")
    settings: dict = {}
    if expected_kind == "follow_up":
        settings["due_days_after_completion"] = f.integer("due_days_after_completion", False, 90, minimum=1)
    items: list[SurveyItemSpec] = []
    seen: dict[str, int] = {}
    ok = True
    for section in f.mappings("sections", what="each section"):
        section_title = section.text("title", max_length=TITLE_LENGTH)
        for item_fields in section.mappings("items", what="each item"):
            item = _read_survey_item(item_fields, ctx, expected_kind, seen)
            if item is None:
                ok = False
                continue
            item.section, item.position = section_title or "", len(items)
            items.append(item)
        if isinstance(section.data.get("items"), list) and not section.data["items"]:
            section.problem_at("items", "a section needs at least one item")
        section.finish()
    f.finish({"due_days_after_completion": "is only for the follow_up survey"})
    if not items and f.has("sections"):
        f.problem_at("sections", "a survey needs at least one item")
    if None in (key, kind, title, settings.get("due_days_after_completion", 0)) or not ok:
        return None
    return SurveySpec(key, kind, title, intro, anonymous, allow_edit, settings, items)


def _read_survey_item(
    f: Fields,
    ctx: Context,
    survey_kind: str,
    seen: dict[str, int],
) -> SurveyItemSpec | None:
    key = f.key("id")
    if key is not None:
        if key in seen:
            f.problem_at("id", f"duplicate item id '{key}' (first used at line {seen[key]})")
            key = None
        else:
            seen[key] = f.value_line("id")
    itype = f.choice("type", ITEM_TYPES)
    prompt = f.text("prompt")
    required = f.boolean("required", default=True)
    spec: dict | None = _read_item_spec(f, itype) if itype else None
    module = f.key("module", required=False)
    measure = None
    if survey_kind == "needs" and f.has("measure"):
        measure = f.choice("measure", MEASURES)
        if measure and not module:
            f.problem_at("measure", "an item with a 'measure' needs the 'module' it measures")
    if module:
        ctx.later(_module_exists(f, module))
    not_for_type = {extra: f"is not used by {itype} items" for extra in _ITEM_EXTRAS if itype}
    f.finish(not_for_type | {"measure": "is only for items of the needs survey"})
    if None in (key, itype, prompt, spec):
        return None
    return SurveyItemSpec(key, itype, prompt, required, spec, module or None, measure)


def _read_item_spec(f: Fields, itype: str) -> dict | None:
    allowed = _ITEM_KEYS[itype]
    spec: dict = {}
    ok = True
    if "options" in allowed:
        spec["options"] = f.text_list("options", min_items=2)
        ok &= spec["options"] is not None
    if "labels" in allowed and f.has("labels"):
        spec["labels"] = f.text_list("labels", min_items=5, max_items=5, unique=False)
        ok &= spec["labels"] is not None
    if "rows" in allowed:
        rows = []
        row_ids: set[str] = set()
        for row in f.mappings("rows", what="each row"):
            row_id, label = row.key("id"), row.text("label")
            row.finish()
            if row_id in row_ids:
                row.problem_at("id", f"duplicate row id '{row_id}'")
                row_id = None
            if row_id is None or label is None:
                ok = False
                continue
            row_ids.add(row_id)
            rows.append({"id": row_id, "label": label})
        if not rows:
            ok = False
            if f.has("rows") and isinstance(f.data["rows"], list):
                f.problem_at("rows", "a matrix needs at least one row")
        spec["rows"] = rows
    if "min" in allowed:
        for bound in ("min", "max"):
            if f.has(bound):
                spec[bound] = f.number(bound)
                ok &= spec[bound] is not None
        if ok and spec.get("min") is not None and spec.get("max") is not None and spec["min"] > spec["max"]:
            f.problem_at("max", "'max' is less than 'min'")
            ok = False
    return spec if ok else None


def _module_exists(f: Fields, module: str) -> Check:
    def check(index: Index) -> None:
        if module not in index.module_keys:
            f.problem_at("module", f"module '{module}' does not exist")

    return check


def file_fields(data, errors, file: str, problems: Problems) -> Fields | None:
    """Fields for a whole YAML file, reporting its syntax errors; None if unusable."""
    for line, message in errors:
        problems.add(file, line, message)
    if data is None and errors:
        return None
    if not isinstance(data, YMap):
        problems.add(file, 1, "the file must be a YAML mapping (key: value lines)")
        return None
    return Fields(data, file, problems)
