"""Threads: the tree mutt draws, subject fallback, collapse, and properties that hold for any
headers, hostile ones included (every row once, no cycles, replies after what they answer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pattern_rows import FakeRow

from popui.threads import (
    ThreadLine,
    base_subject,
    collapse,
    is_reply,
    message_ids,
    thread_lines,
    thread_members,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def msg(mid: str, subject: str, day: int, reply_to: str = "", refs: str = "") -> FakeRow:
    return FakeRow(
        message_id=f"<{mid}>" if mid else "", subject=subject, date=T0 + timedelta(days=day),
        in_reply_to=f"<{reply_to}>" if reply_to else "", references=refs,
    )


def drawn(lines: list[ThreadLine[FakeRow]]) -> list[str]:
    return [f"{line.prefix}{line.row.subject if line.show_subject else ''}" for line in lines]


def test_a_thread_is_drawn_as_mutt_draws_it() -> None:
    rows = [
        msg("a", "Plans", 0),
        msg("b", "Re: Plans", 1, "a", "<a>"),
        msg("c", "Re: Plans", 2, "b", "<a> <b>"),
        msg("d", "Re: Plans", 3, "a", "<a>"),
        msg("e", "Re: Plans (dates)", 4, "c", "<a> <b> <c>"),
        msg("f", "Re: Plans", 5, "b", "<a> <b>"),
    ]
    lines = thread_lines(reversed(rows))  # input order does not matter
    assert drawn(lines) == [
        "Plans",
        "├─>",
        "│ ├─>",
        "│ │ └─>Re: Plans (dates)",
        "│ └─>",
        "└─>",
    ]
    assert [line.row for line in lines] == [rows[0], rows[1], rows[2], rows[4], rows[5], rows[3]]
    assert [line.depth for line in lines] == [0, 1, 2, 3, 2, 1]
    assert all(line.root is rows[0] for line in lines)


def test_threads_are_ordered_newest_first_and_replies_oldest_first() -> None:
    old = msg("old", "Old", 0)
    new = msg("new", "New", 5)
    reply_to_old = msg("r", "Re: Old", 9, "old", "<old>")
    lines = thread_lines([old, new, reply_to_old])
    assert [line.row for line in lines] == [new, old, reply_to_old]
    lines = thread_lines([old, new, reply_to_old], newest_first=False)
    assert [line.row for line in lines] == [old, reply_to_old, new]
    lines = thread_lines([old, new, reply_to_old], by_latest=True)
    assert [line.row for line in lines] == [old, reply_to_old, new]


def test_in_reply_to_alone_and_references_alone_both_thread() -> None:
    a = msg("a", "Q", 0)
    b = msg("b", "Re: Q", 1, reply_to="a")
    c = msg("c", "Re: Q", 2, refs="<a> <b>")
    assert drawn(thread_lines([a, b, c])) == ["Q", "└─>", "  └─>"]


def test_missing_first_message_draws_a_corner() -> None:
    b = msg("b", "Re: gone", 1, "gone", "<gone>")
    c = msg("c", "Re: gone", 2, "gone", "<gone>")
    d = msg("d", "Re: gone", 3, "b", "<gone> <b>")
    lines = thread_lines([b, c, d])
    assert [line.prefix for line in lines] == ["┌─>", "│ └─>", "└─>"]
    assert [line.row for line in lines] == [b, d, c]
    assert all(line.root is b for line in lines)


def test_a_missing_message_in_the_middle_is_skipped() -> None:
    a = msg("a", "Start", 0)
    c = msg("c", "Re: Start", 2, "b", "<a> <b>")  # b never arrived
    lines = thread_lines([a, c])
    assert drawn(lines) == ["Start", "└─>"]
    assert [line.depth for line in lines] == [0, 1]


def test_one_reply_to_a_missing_message_is_a_thread_of_its_own() -> None:
    lone = msg("x", "Re: something", 0, "gone", "<gone>")
    assert drawn(thread_lines([lone])) == ["Re: something"]


def test_subject_joins_replies_without_links_and_marks_them() -> None:
    start = msg("s", "Lunch?", 0)
    bare_reply = msg("r", "Re: lunch?", 1)  # no In-Reply-To, no References
    other = msg("o", "Lunch?", 2)  # same subject, not a reply: a thread of its own
    lines = thread_lines([start, bare_reply, other], newest_first=False)
    assert [line.row for line in lines] == [start, bare_reply, other]
    assert [line.prefix for line in lines] == ["", "└*>", ""]
    assert [line.fake for line in lines] == [False, True, False]


def test_replies_without_a_starter_gather_under_the_earliest() -> None:
    first = msg("1", "Re: news", 0)
    second = msg("2", "Re: news", 1)
    lines = thread_lines([second, first])
    assert [line.row for line in lines] == [first, second]
    assert [line.prefix for line in lines] == ["", "└*>"]


def test_empty_subjects_never_join() -> None:
    rows = [msg("1", "", 0), msg("2", "Re:", 1)]
    assert [line.depth for line in thread_lines(rows)] == [0, 0]


def test_hostile_headers_still_give_a_tree() -> None:
    rows = [
        msg("self", "Me", 0, "self", "<self>"),
        msg("x", "X", 1, "y", "<y>"),
        msg("y", "Y", 2, "x", "<x>"),
        msg("dup", "first", 3),
        msg("dup", "second", 4, "dup", "<dup>"),
        msg("", "no id", 5, "x", "<x> <x> <y> <x>"),
        FakeRow(message_id="garbage", in_reply_to="(no brackets)", references="<<>> < >"),
    ]
    lines = thread_lines(rows)
    assert sorted(id(line.row) for line in lines) == sorted(id(row) for row in rows)
    assert_tree(lines)


def test_a_very_deep_thread_is_walked_without_recursion() -> None:
    rows = [msg("m0", "deep", 0)]
    rows += [msg(f"m{i}", "Re: deep", i, f"m{i - 1}") for i in range(1, 5000)]
    lines = thread_lines(rows)
    assert [line.depth for line in lines] == list(range(5000))
    assert len(lines[-1].prefix) <= 2 * 24 + 3


def test_collapse_hides_replies_and_counts_the_thread() -> None:
    a, b, c = msg("a", "A", 0), msg("b", "Re: A", 1, "a"), msg("c", "Re: A", 2, "b")
    z = msg("z", "Z", 5)
    lines = thread_lines([a, b, c, z], newest_first=False)
    visible, counts = collapse(lines, [a])
    assert [line.row for line in visible] == [a, z]
    assert counts == {a: 3}
    visible, counts = collapse(lines, [])
    assert len(visible) == 4 and counts == {}
    visible, counts = collapse(lines, [a, z])
    assert counts == {a: 3, z: 1}
    assert thread_members(lines, a) == [a, b, c]
    assert thread_members(lines, z) == [z]


def test_collapsing_a_thread_under_a_missing_first_message() -> None:
    b = msg("b", "Re: gone", 1, "gone")
    c = msg("c", "Re: gone", 2, "gone")
    lines = thread_lines([b, c])
    visible, counts = collapse(lines, [b])
    assert [line.row for line in visible] == [b]
    assert counts == {b: 2}


def test_message_ids_and_subjects() -> None:
    assert message_ids("<a@b> <c@d>\t<e@f>") == ["a@b", "c@d", "e@f"]
    assert message_ids("<a@b> (Bob's message of Monday)") == ["a@b"]
    assert message_ids("a@b") == ["a@b"]
    assert message_ids("no id here") == []
    assert message_ids("") == []
    assert base_subject("Re: AW: [list] Fwd: Hello  ") == "hello"
    assert base_subject("Re[2]: Hello") == "hello"
    assert is_reply("[list] Re: x") and not is_reply("Regarding x")


# --- properties ----------------------------------------------------------------------------


def assert_tree(lines: list[ThreadLine[FakeRow]]) -> None:
    """Depths step down by at most one, each thread's lines are contiguous and start at its
    root, and a reply whose In-Reply-To names a row without links sits under that row."""
    seen_roots: set[int] = set()
    previous_root = None
    for index, line in enumerate(lines):
        if line.root is not previous_root:
            assert id(line.root) not in seen_roots, "a thread's lines are contiguous"
            seen_roots.add(id(line.root))
            assert line.row is line.root
            assert line.depth in (0, 1)
            previous_root = line.root
        elif index:
            assert 1 <= line.depth <= lines[index - 1].depth + 1
        assert line.prefix.endswith(">") == (line.depth > 0)


def parent_line(lines: list[ThreadLine[FakeRow]], index: int) -> FakeRow | None:
    """The row drawn as the parent: the nearest line above with a smaller depth, if it is
    one level up in the same thread."""
    line = lines[index]
    for earlier in reversed(lines[:index]):
        if earlier.depth < line.depth:
            same = earlier.root is line.root and earlier.depth == line.depth - 1
            return earlier.row if same else None
    return None


IDS = [f"id{i}" for i in range(8)]
# References may name the parent and reply the last property adds, to build loops through them.
refs = st.lists(st.sampled_from([*IDS, "parent", "reply"]), max_size=4).map(
    lambda ids: " ".join(f"<{i}>" for i in ids)
)
hostile_rows = st.builds(
    FakeRow,
    message_id=st.sampled_from(["", *[f"<{i}>" for i in IDS]]),
    in_reply_to=st.sampled_from(["", "junk", *[f"<{i}>" for i in IDS]]),
    references=refs,
    subject=st.sampled_from(["", "Hi", "Re: Hi", "RE: hi", "Fwd: Hi", "Other", "Re: Other"]),
    date=st.none() | st.integers(0, 50).map(lambda d: T0 + timedelta(days=d)),
)


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_rows, max_size=25), st.booleans(), st.booleans())
def test_every_row_once_in_a_tree(rows: list[FakeRow], newest_first: bool, by_latest: bool) -> None:
    lines = thread_lines(rows, newest_first=newest_first, by_latest=by_latest)
    assert sorted(id(line.row) for line in lines) == sorted(id(row) for row in rows)
    assert_tree(lines)
    visible, counts = collapse(lines, [line.root for line in lines])
    assert [line.row for line in visible] == list({id(x.root): x.root for x in lines}.values())
    assert sum(counts.values()) == len(rows)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_rows, max_size=25), st.data())
def test_a_reply_sits_under_the_message_it_answers(
    rows: list[FakeRow], data: st.DataObject,
) -> None:
    """Add a parent with a unique id and no links of its own, and a reply to it: however
    hostile the other rows, the reply is drawn under it."""
    parent = FakeRow(message_id="<parent>", subject="Parent", date=T0)
    reply = FakeRow(message_id="<reply>", in_reply_to="<parent>", subject="Re: Parent",
                    references=data.draw(refs), date=T0 + timedelta(days=1))
    rows = [row for row in rows if row.message_id not in ("<parent>", "<reply>")]
    rows.insert(data.draw(st.integers(0, len(rows))), parent)
    rows.insert(data.draw(st.integers(0, len(rows))), reply)
    lines = thread_lines(rows)
    index = next(i for i, line in enumerate(lines) if line.row is reply)
    assert parent_line(lines, index) is parent
