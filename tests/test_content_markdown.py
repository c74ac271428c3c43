"""Lesson rendering and sanitising, and the line-keeping YAML reader."""

from __future__ import annotations

from html.parser import HTMLParser

from lms.content.markdown import check_markdown, render_markdown, sanitize_html
from lms.content.reader import YList, YMap, parse_yaml, split_front_matter


def _tags(html: str) -> list[tuple[str, list]]:
    """The start tags of an HTML fragment with their attributes, as a browser parses them."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_rendered_html_never_contains_script():
    body = (
        "## 标题\n\n<script>alert(1)</script>\n\n"
        "text <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
        '![a](javascript:alert(2))\n\n<a href="javascript:alert(3)">y</a>\n'
    )
    html = render_markdown(body).html
    # Raw HTML is shown as text (escaped), never as tags; unsafe links are not links.
    assert "<script" not in html and "&lt;script&gt;" in html
    tags = _tags(html)
    assert {tag for tag, _ in tags} == {"h2", "p"}
    assert all(not attrs for tag, attrs in tags if tag == "p")


def test_sanitiser_keeps_only_the_allow_list():
    dirty = (
        '<h2 id="x" onclick="steal()">T</h2><script>alert(1)</script><style>p{}</style>'
        '<p style="position:fixed">p</p><img src="x.png" onerror="alert(1)">'
        '<a href="javascript:alert(1)">j</a><a href="https://a.org/">ok</a>'
        '<iframe src="https://evil.org"></iframe><td style="text-align:right;color:red">c</td>'
    )
    clean = sanitize_html(dirty)
    assert not any(name.startswith("on") for _, attrs in _tags(clean) for name, _ in attrs)
    for bad in ("<script", "alert(1)</", "<style", "onclick", "onerror", "javascript:", "<iframe", "position", "color"):
        assert bad not in clean, bad
    assert '<h2 id="x">T</h2>' in clean
    assert "style=" not in clean  # no inline style survives (the CSP would block it anyway)
    cell = sanitize_html('<table><tbody><tr><td class="align-center evil">c</td></tr></tbody></table>')
    assert '<td class="align-center">c</td>' in cell
    assert sanitize_html('<table tabindex="0" onfocus="x()"><tr><td>c</td></tr></table>').startswith(
        '<table tabindex="0">'
    )
    assert '<a href="https://a.org/" rel="noopener noreferrer">ok</a>' in clean


def test_headings_get_stable_unique_ids_and_a_toc():
    rendered = render_markdown("## 学习目标\n\n### 1. 地位\n\n#### 细节\n\n## 学习目标\n\n## !!!\n")
    assert rendered.toc == [
        {"level": 2, "id": "h-学习目标", "text": "学习目标"},
        {"level": 3, "id": "h-1-地位", "text": "1. 地位"},
        {"level": 2, "id": "h-学习目标-2", "text": "学习目标"},
        {"level": 2, "id": "h-5", "text": "!!!"},
    ]
    assert '<h4 id="h-细节">细节</h4>' in rendered.html
    # The same text always gives the same ids.
    assert render_markdown("## 学习目标\n").toc[0]["id"] == "h-学习目标"


def test_tables_images_and_plain_text():
    body = "| 内容 | 数 |\n| --- | ---: |\n| 甲 | 1 |\n\n![图](images/a.png) ![无](images/b.png)\n"
    rendered = render_markdown(body, {"images/a.png": "/media/course/c/abc.png"})
    assert '<th class="align-right">数</th>' in rendered.html  # a class: the CSP blocks inline styles
    assert "style=" not in rendered.html
    assert '<table tabindex="0">' in rendered.html  # focusable, so a keyboard can scroll a wide table
    assert '<img src="/media/course/c/abc.png" alt="图">' in rendered.html
    assert "images/b.png" not in rendered.html and "无" in rendered.html  # unknown image dropped
    assert "甲" in rendered.text and "<" not in rendered.text


def test_check_reports_lines_in_the_file():
    body = "# 标题\n\n正文\n第二行 <b>粗</b> 和 <i>斜</i>\n\n<div>\nx\n</div>\n\n[a](ftp://x) ![i](images/m.png)\n"
    check = check_markdown(body, first_line=6)
    assert check.problems == [
        (6, "use ## and ### headings; # is reserved for the lesson title"),
        (9, "raw HTML is not allowed in lessons: '<b>'"),
        (11, "raw HTML is not allowed in lessons: '<div> x </div>'"),
        (15, "link 'ftp://x' is not allowed: use an http(s) or mailto address, or #heading-id"),
    ]
    assert check.images == [(15, "images/m.png")]
    assert check.headings == [(1, "标题")]


def test_yaml_reader_keeps_lines_numbers_as_written_and_finds_duplicate_keys():
    parsed = parse_yaml("a: 1\nb:\n  - 1.50\n  - x\nc: 2021-01-01\na: 2\n")
    data = parsed.data
    assert isinstance(data, YMap) and isinstance(data["b"], YList)
    assert (data.key_line("b"), data["b"].item_line(1)) == (2, 4)
    assert data["b"][0].raw == "1.50" and data["c"] == "2021-01-01"
    assert parsed.errors == [(6, "duplicate key 'a'")]
    broken = parse_yaml("a: [1\n")
    assert broken.data is None and broken.errors[0][1].startswith("invalid YAML")


def test_front_matter_lines():
    doc = split_front_matter("---\nkey: x\ntitle: T\n---\n\n## A\n")
    assert doc.meta.data["key"] == "x" and doc.meta.data.key_line("title") == 3
    assert doc.body_line == 5 and doc.body == "\n## A\n"
    assert split_front_matter("## no front matter\n") is None
