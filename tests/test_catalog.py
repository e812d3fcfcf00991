"""The catalogue reads plain heads without the TOML parser (start-up): whatever it reads that
way must be exactly what tomllib reads, and anything else must be left to tomllib."""

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from scenarios.catalog import _head, _plain, bundled, bundled_paths


def _reads_as_tomllib(head: str) -> bool:
    """True where the head was read without the parser (and agreed with it)."""
    plain = _plain(head)
    try:
        expected = tomllib.loads(head)
    except tomllib.TOMLDecodeError:
        assert plain is None, head  # never a title from a file tomllib refuses
        return False
    if plain is None:
        return False
    assert plain.keys() == expected.keys(), head
    for key, value in expected.items():
        assert plain[key] == (value if isinstance(value, str) else None), head
    return True


def test_every_bundled_head_is_read_without_the_parser_as_the_parser_reads_it():
    for path in bundled_paths():
        assert _reads_as_tomllib(_head(path.read_text(encoding="utf-8"))), path.name


def test_a_head_that_is_not_plain_is_read_by_the_parser():
    assert _plain('title = "tab\\tand newline\\n"') is None
    assert _plain('title = "a"\ntitle = "b"') is None  # tomllib refuses it: "cannot be read"
    assert _plain("title = 'literal'") is None
    rows = {s.name: s for s in bundled()}
    assert rows["lstm-hello"].title == tomllib.loads(_head(rows["lstm-hello"].path.read_text()))["title"]
    assert '"hello"' in rows["lstm-hello"].title


# Pieces of TOML and of near-TOML: keys, quotes, escapes, numbers, comments, control characters.
PIECES = st.sampled_from(['title', 'lab', 'a-b_1', 'x.y', '"q"', ' ', '\t', '=', ' = ', '"', "'", '\\', '\\"',
                          '\\\\', '\\n', '\\u0041', '#', '0', '01', '-3', '+0', '1_0', '1.5', 'true', 'True', '[', ']',
                          'é', '─', '\x00', '\x7f', '\x1f', '\r', '\x0c', 'ab', '""'])
TEXT = st.lists(PIECES, max_size=6).map("".join)
# Lines mostly shaped as `key = "…"`, so both readers often accept them.
LINE = st.one_of(TEXT, st.builds(lambda k, v, c: f'{k} = "{v}"{c}', st.sampled_from(["title", "lab", "x y", "d"]),
                                 TEXT, st.sampled_from(["", " # note", "#\x01", "  "])))


@given(st.lists(LINE, max_size=4).map("\n".join))
def test_any_head_is_read_as_tomllib_reads_it_or_left_to_it(head):
    _reads_as_tomllib(head)


def test_the_generated_heads_reach_both_readers():
    hits = []

    @given(st.lists(LINE, min_size=1, max_size=3).map("\n".join))
    def collect(head):
        hits.append(_reads_as_tomllib(head))

    collect()
    assert any(hits) and not all(hits)
