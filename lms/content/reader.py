"""Read YAML files and Markdown front matter, keeping the line of every key and list item.

Mappings come back as :class:`YMap` and sequences as :class:`YList`; both remember where
they start and where each of their entries is, so validation can point at a line.
Numbers remember their source text (so ``1.50`` used as text stays ``"1.50"``) and dates stay
text. Duplicate keys, which plain YAML loading silently overwrites, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .characters import xml_safe


class YMap(dict):
    """A YAML mapping with the line of the mapping, of each key and of each value."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}
        self.value_lines: dict = {}

    def key_line(self, key) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key) -> int:
        return self.value_lines.get(key, self.line)


class YList(list):
    """A YAML sequence with the line of the sequence and of each item."""

    line: int = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines: list[int] = []

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class YInt(int):
    """An integer that remembers how it was written."""

    raw: str = ""


class YFloat(float):
    """A float that remembers how it was written."""

    raw: str = ""


def scalar_text(value) -> str | None:
    """The text of a scalar used where text is expected: numbers as written, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, (YInt, YFloat)):
        return value.raw
    return None


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    data = YMap()
    data.line = _line(node)
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            loader.duplicates.append((_line(key_node), "a mapping key must be plain text"))
            continue
        if key in data:
            loader.duplicates.append((_line(key_node), f"duplicate key '{key}'"))
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines[key] = _line(key_node)
        data.value_lines[key] = _line(value_node)


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode):
    data = YList()
    data.line = _line(node)
    yield data
    data.item_lines = [_line(item) for item in node.value]
    data.extend(loader.construct_object(item, deep=False) for item in node.value)


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> YInt:
    value = YInt(yaml.SafeLoader.construct_yaml_int(loader, node))
    value.raw = node.value
    return value


def _construct_float(loader: _LineLoader, node: yaml.ScalarNode) -> YFloat:
    value = YFloat(yaml.SafeLoader.construct_yaml_float(loader, node))
    value.raw = node.value
    return value


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
# Dates stay text: a course file never needs a date object.
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


@dataclass
class Parsed:
    """The result of reading one YAML document: its data and the (line, message) errors."""

    data: object = None
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_yaml(text: str, first_line: int = 1) -> Parsed:
    """Parse one YAML document whose first line is line ``first_line`` of its file."""
    padded = "\n" * (first_line - 1) + text  # so marks give the file's own line numbers
    loader = _LineLoader(padded)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else first_line
        return Parsed(None, [(line, f"invalid YAML: {error.problem or error.context}")])
    except yaml.YAMLError as error:
        return Parsed(None, [(first_line, f"invalid YAML: {error}")])
    finally:
        loader.dispose()
    return Parsed(data, list(loader.duplicates))


def read_text(path: Path) -> tuple[str | None, str | None]:
    """The file's text, or None and why it cannot be read (not UTF-8, say)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, "the file is not UTF-8 text"
    except OSError as error:
        return None, f"cannot read the file: {error.strerror}"
    return xml_safe(text.removeprefix("\ufeff").replace("\r\n", "\n")), None


@dataclass
class FrontMatterDocument:
    """A Markdown file split into its front matter and body."""

    meta: Parsed
    body: str = ""
    #: the file line (1-based) on which the body starts
    body_line: int = 1


def split_front_matter(text: str) -> FrontMatterDocument | None:
    """Split ``---`` front matter from a Markdown text; None when the file has none."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            meta = parse_yaml("\n".join(lines[1:index]), first_line=2)
            body = "\n".join(lines[index + 1 :])
            return FrontMatterDocument(meta, body, body_line=index + 2)
    return None
