"""Copy-editing and test-design checks on a course's files (issue 18).

Run by the loader after the format checks pass. It reads the files itself (with the line-aware
YAML reader), so it depends on nothing but the folder layout:

- errors (added to the load's problems, so the load stops):
  - ASCII punctuation between Chinese characters in lessons and YAML text, with ``file:line``;
  - a fill-blank answer that repeats the unit printed right after the blank (``超过____万名``
    accepting ``1000万``);
  - a pre-test stem that prints an answer of the post-test, or the other way round;
- warnings (logged, the load goes on): one answer letter holding far more than its share of a
  quiz's single-choice items, a cue a trainee learns to guess by.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from .problems import Problems
from .reader import YList, YMap, parse_yaml, read_text, scalar_text, split_front_matter

log = logging.getLogger(__name__)

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Chinese characters and the full-width punctuation that ends or opens Chinese text
CJK_OR_MARK = CJK + "\u3000-\u303f\uff01-\uff5e\u201c\u201d\u2018\u2019\u2014\u2026"
#: ASCII punctuation wrong between Chinese characters ("教育,乡村", "有效衔接与"四个不摘"")
_BETWEEN = re.compile(rf"(?<=[{CJK_OR_MARK}%0-9])[ \t]*[,;:?!\"']+[ \t]*(?=[{CJK}])|(?<=[{CJK}])\.(?=[{CJK}])")
#: ASCII brackets next to Chinese text: "纲要(2011—2020年)" should use （）
_BRACKET = re.compile(rf"(?<=[{CJK_OR_MARK}])[ \t]*[()]|[()][ \t]*(?=[{CJK}])")
#: what is not prose in a Markdown line: inline code, link and image targets, autolinks
_NOT_PROSE = re.compile(r"`[^`]*`|\]\([^)]*\)|<[^>\s]+>|https?://\S+")
_BLANK = re.compile(r"_{4,}")
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
#: a shared answer shorter than this is a common word, not a leak
MIN_LEAK_LENGTH = 2
#: balance: warn when a letter holds more than this many times its expected share ...
BALANCE_FACTOR = 2.0
#: ... and at least this many items
BALANCE_MIN_COUNT = 3

_MODULE_FOLDER = re.compile(r"^\d+-([a-z][a-z0-9-]*)$")


def check_course(folder: Path, base: Path, problems: Problems) -> list[str]:
    """Check the course in ``folder``; add errors to ``problems``; return (and log) warnings.

    Paths in messages are relative to ``base``, like the loader's own problems.
    """
    checker = _Checker(Path(folder), Path(base), problems)
    checker.run()
    for warning in checker.warnings:
        log.warning("%s", warning)
    return checker.warnings


class _Checker:
    def __init__(self, folder: Path, base: Path, problems: Problems):
        self.folder = folder
        self.base = base
        self.problems = problems
        self.warnings: list[str] = []
        #: question id -> (file, line, mapping), module key -> question ids
        self.questions: dict[str, tuple[str, int, YMap]] = {}
        self.by_module: dict[str, list[str]] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.base).as_posix()

    def run(self) -> None:
        for path in sorted(self.folder.rglob("*")):
            if any(part.startswith(".") for part in path.relative_to(self.folder).parts):
                continue
            if path.suffix == ".md":
                self.check_markdown(path)
            elif path.suffix in (".yaml", ".yml"):
                self.check_yaml_text(path)
        self.read_questions()
        for path in self.question_files():
            self.check_blanks(path)
        quizzes = self.read_quizzes()
        for rel, line, title, ids in quizzes.values():
            self.check_balance(rel, line, title, ids)
        self.check_pre_post(quizzes)

    # -- punctuation -----------------------------------------------------------------------

    def _report_punctuation(self, rel: str, line: int, text: str) -> None:
        for pattern in (_BETWEEN, _BRACKET):
            for match in pattern.finditer(text):
                self._add(rel, line, text, match)

    def _add(self, rel: str, line: int, text: str, match: re.Match) -> None:
        context = text[max(match.start() - 4, 0) : match.end() + 4].strip()
        self.problems.add(
            rel,
            line,
            f"ASCII punctuation '{match.group().strip()}' in Chinese text: use the full-width form ({context})",
        )

    def check_markdown(self, path: Path) -> None:
        text, error = read_text(path)
        if error or text is None:
            return
        rel = self.rel(path)
        doc = split_front_matter(text)
        if doc is not None and isinstance(doc.meta.data, YMap):
            self._check_yaml_lines(rel, text.split("\n")[: doc.body_line - 1], doc.meta.data)
            first, body = doc.body_line, doc.body
        else:
            first, body = 1, text
        fenced = False
        for number, raw in enumerate(body.split("\n"), start=first):
            if raw.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            if not fenced:
                self._report_punctuation(rel, number, _NOT_PROSE.sub(" ", raw))

    def check_yaml_text(self, path: Path) -> None:
        text, error = read_text(path)
        if error or text is None:
            return
        parsed = parse_yaml(text)
        if parsed.errors:
            return  # the loader reports it
        self._check_yaml_lines(self.rel(path), text.split("\n"), parsed.data)

    def _check_yaml_lines(self, rel: str, lines: list[str], data: object) -> None:
        """Scan the raw lines, keeping only hits inside a text value (not YAML's own , : [ ])."""
        values = " \n ".join(_strings(data))
        for number, raw in enumerate(lines, start=1):
            for pattern in (_BETWEEN, _BRACKET):
                for match in pattern.finditer(raw):
                    if raw[max(match.start() - 1, 0) : match.end() + 1] in values:
                        self._add(rel, number, raw, match)

    # -- questions -------------------------------------------------------------------------

    def question_files(self) -> list[Path]:
        return sorted((self.folder / "modules").glob("*/questions.yaml"))

    def read_questions(self) -> None:
        for path in self.question_files():
            match = _MODULE_FOLDER.match(path.parent.name)
            data = _load(path)
            if match is None or not isinstance(data, YMap) or not isinstance(data.get("questions"), YList):
                continue
            items = data["questions"]
            for position, item in enumerate(items):
                if isinstance(item, YMap) and isinstance(item.get("id"), str):
                    self.questions[item["id"]] = (self.rel(path), items.item_line(position), item)
                    self.by_module.setdefault(match[1], []).append(item["id"])

    def check_blanks(self, path: Path) -> None:
        """A fill-blank answer must not repeat the unit printed after the blank."""
        for qid, (rel, line, item) in self.questions.items():
            if rel != self.rel(path) or item.get("type") != "fill_blank":
                continue
            stem, answers = scalar_text(item.get("stem")) or "", item.get("answer")
            blank = _BLANK.search(stem)
            if blank is None or not isinstance(answers, list):
                continue
            after = stem[blank.end() :]
            unit = re.match(r"[^\s\W\d_]+|%", after)
            if unit is None:
                continue
            for answer in (scalar_text(a) for a in answers):
                if not answer:
                    continue
                for size in range(min(len(unit.group()), len(answer) - 1), 0, -1):
                    if answer.endswith(unit.group()[:size]):
                        self.problems.add(
                            rel,
                            item.value_line("answer") if isinstance(item, YMap) else line,
                            f"question '{qid}': the answer '{answer}' repeats '{unit.group()[:size]}', "
                            "which the stem already prints after the blank; accept the answer without it",
                        )
                        break

    # -- quizzes ---------------------------------------------------------------------------

    def read_quizzes(self) -> dict[str, tuple[str, int, str, list[str]]]:
        """kind-or-key -> (file, line, title, the question ids it shows or draws from)."""
        paths = sorted((self.folder / "modules").glob("*/quiz.yaml")) + sorted((self.folder / "quizzes").glob("*.yaml"))
        found = {}
        for path in paths:
            data = _load(path)
            if not isinstance(data, YMap):
                continue
            kind, key = data.get("kind"), str(data.get("key") or path.stem)
            ids: list[str] = []
            if isinstance(data.get("questions"), list):
                ids = [q for q in data["questions"] if isinstance(q, str)]
            elif isinstance(data.get("draw"), list):
                for rule in data["draw"]:
                    if not isinstance(rule, dict):
                        continue
                    excluded = set(rule.get("exclude_tags") or [])
                    for qid in self.by_module.get(str(rule.get("module")), []):
                        tags = self.questions[qid][2].get("tags") or []
                        if not excluded & set(tags if isinstance(tags, list) else []):
                            ids.append(qid)
            name = kind if kind in ("pre_test", "post_test") else key
            found[name] = (self.rel(path), data.line or 1, str(data.get("title") or key), ids)
        return found

    def check_balance(self, rel: str, line: int, title: str, ids: list[str]) -> None:
        """Warn when one key position holds far more than its share of the single-choice items."""
        letters: Counter[str] = Counter()
        expected: Counter[str] = Counter()
        for qid in ids:
            item = self.questions.get(qid, ("", 0, {}))[2]
            options, answer = item.get("options"), item.get("answer")
            if item.get("type") != "single" or not isinstance(options, list) or not isinstance(answer, str):
                continue
            letters[answer] += 1
            for index in range(len(options)):
                expected[chr(ord("A") + index)] += 1 / len(options)
        for letter, count in sorted(letters.items()):
            if count >= BALANCE_MIN_COUNT and count > BALANCE_FACTOR * expected[letter]:
                total = sum(letters.values())
                self.warnings.append(
                    f"{rel}:{line}: {title}: {count} of its {total} single-choice items have the key "
                    f"{letter} (about {expected[letter]:.1f} expected); spread the keys"
                )

    def check_pre_post(self, quizzes: dict) -> None:
        """No stem of the pre-test prints an answer of the post-test, and the other way round."""
        if "pre_test" not in quizzes or "post_test" not in quizzes:
            return
        for shown, hidden in (("pre_test", "post_test"), ("post_test", "pre_test")):
            answers = [(qid, text) for qid in quizzes[hidden][3] for text in self._answer_texts(qid)]
            for qid in quizzes[shown][3]:
                rel, _, item = self.questions.get(qid, ("", 0, None))
                if item is None:
                    continue
                stem = _normal(scalar_text(item.get("stem")) or "")
                for other, text in answers:
                    if text in stem:
                        self.problems.add(
                            rel,
                            item.value_line("stem"),
                            f"question '{qid}' ({shown.replace('_', '-')}) prints '{text}', "
                            f"an answer of '{other}' ({hidden.replace('_', '-')}): the pair gives itself away",
                        )

    def _answer_texts(self, qid: str) -> list[str]:
        item = self.questions.get(qid, ("", 0, {}))[2]
        qtype, answer, options = item.get("type"), item.get("answer"), item.get("options") or []
        texts: list[str] = []
        if qtype == "fill_blank" and isinstance(answer, list):
            texts = [scalar_text(a) or "" for a in answer]
        elif qtype in ("single", "multiple"):
            letters = [answer] if isinstance(answer, str) else answer if isinstance(answer, list) else []
            for letter in letters:
                index = ord(str(letter)[:1] or "@") - ord("A")
                if 0 <= index < len(options):
                    texts.append(scalar_text(options[index]) or "")
        return [t for t in (_normal(t) for t in texts) if len(t) >= MIN_LEAK_LENGTH]


def _normal(text: str) -> str:
    """Text without spaces and punctuation, so a leak is found across different punctuation."""
    return _PUNCTUATION.sub("", text)


def _load(path: Path) -> object:
    text, error = read_text(path)
    if error or text is None:
        return None
    parsed = parse_yaml(text)
    return None if parsed.errors else parsed.data


def _strings(data: object) -> list[str]:
    """Every text value (not key) in a parsed YAML document."""
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return [data] if isinstance(data, str) else []
