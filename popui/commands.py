"""Every user action, defined once: key bindings, footer, command palette and help come from here.

Keys are remappable in the config file by command id (``[ui.keymap]`` ``commit = "ctrl+d"``),
applied with ``App.set_keymap``; the help screen and the palette show the keys in effect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Command:
    id: str
    """Binding id: the name used in ``[ui.keymap]``."""
    keys: str
    """Default keys, comma separated (Textual key names)."""
    action: str
    """The action run, in the namespace of the screen (or ``app.`` for app-wide ones)."""
    title: str
    """Short name: footer and palette."""
    help: str
    """One sentence for the help screen and the palette."""
    group: str
    footer: bool = False
    priority: bool = False
    palette: bool = True


MAIN_COMMANDS: tuple[Command, ...] = (
    # Moving around
    Command("down", "j,down", "cursor_down", "Next", "Move to the next message.", "Move"),
    Command("up", "k,up", "cursor_up", "Previous", "Move to the previous message.", "Move"),
    Command("page_down", "pagedown", "page_down", "Page down", "Scroll down one page.", "Move"),
    Command("page_up", "pageup", "page_up", "Page up", "Scroll up one page.", "Move"),
    Command("first", "home,g", "cursor_first", "First", "Jump to the first message.", "Move"),
    Command("last", "end,G", "cursor_last", "Last", "Jump to the last message.", "Move"),
    # Reading
    Command(
        "open", "enter", "open_message", "Open",
        "Read the whole message (RETR: the server marks it seen).", "Read", footer=True,
    ),
    Command(
        "preview", "p", "toggle_preview", "Preview",
        "Preview on the right, below, or off (TOP: nothing is marked seen).", "Read",
        footer=True,
    ),
    Command(
        "sort", "o", "choose_sort", "Sort by…",
        "Choose the sort order: date, from, subject, size, number or threads (mutt's letters).",
        "Read",
    ),
    Command("sort_reverse", "O,S", "reverse_sort", "Reverse sort", "Reverse the sort order.",
            "Read"),
    Command(
        "filter", "slash", "filter", "Filter",
        "Filter by a pattern: words, >5M, ~f alice ~d <3d (up: earlier ones).", "Read", footer=True,
    ),
    Command("clear_filter", "escape", "clear_filter", "Clear filter", "Show all messages.", "Read"),
    Command(
        "thread_fold", "v", "toggle_thread", "Fold thread",
        "Collapse or expand the thread under the cursor (sort by thread: o t).", "Read",
    ),
    Command(
        "thread_fold_all", "V", "toggle_all_threads", "Fold all threads",
        "Collapse every thread, or expand them all.", "Read",
    ),
    # Deleting
    Command(
        "mark", "d", "toggle_mark", "Mark",
        "Mark or unmark for deletion and move on (a collapsed thread: all of it).", "Delete",
        footer=True,
    ),
    Command("unmark", "u", "unmark", "Unmark", "Remove the mark from the message.", "Delete"),
    Command("unmark_all", "U", "unmark_all", "Unmark all", "Remove every mark.", "Delete"),
    Command(
        "mark_filtered", "D", "mark_filtered", "Mark shown",
        "Mark every message the filter shows.", "Delete",
    ),
    Command(
        "commit", "dollar_sign", "commit", "Commit",
        "Delete the marked messages on the server (asks first).", "Delete", footer=True,
    ),
    # Keeping mail: tags, copy, save, pipe (popui.screens.mailout)
    Command("tag", "t", "tag", "Tag", "Tag or untag the message and move on.", "Keep"),
    Command(
        "tag_filtered", "T", "tag_filtered", "Tag shown",
        "Tag every message the filter shows.", "Keep",
    ),
    Command("untag_all", "ctrl+t", "untag_all", "Untag all", "Remove every tag.", "Keep"),
    Command(
        "copy", "C", "copy", "Copy",
        "Copy the message, or the tagged ones, to a Maildir or mbox (RETR: marks them seen).",
        "Keep",
    ),
    Command(
        "save", "s", "save", "Save",
        "Copy, then mark for deletion (mutt's save-message); nothing is deleted until $.",
        "Keep", footer=True,
    ),
    Command(
        "copy_stop", "ctrl+g", "stop_copy", "Stop copying",
        "Stop a running copy or save after the message being read; what is copied stays.",
        "Keep",
    ),
    Command(
        "pipe", "vertical_line", "pipe", "Pipe",
        "Pipe the message (RETR) to a shell command and show what it prints.", "Keep",
    ),
    # Mailbox
    Command(
        "refresh", "r", "refresh", "Refresh", "Reconnect and list the mailbox again.", "Mailbox",
    ),
    Command(
        "info", "i", "info", "Server info",
        "Server greeting and capabilities.", "Mailbox",
    ),
    Command(
        "log", "L", "protocol_log", "Protocol log",
        "The POP3 conversation (passwords are never shown).", "Mailbox",
    ),
    Command(
        "quit", "q", "quit", "Quit",
        "Quit; with marks pending, asks whether to delete them first.", "Mailbox", footer=True,
    ),
)

VIEW_COMMANDS: tuple[Command, ...] = (
    # The full view (a reader, as mutt's pager)
    Command("view_next", "j,J", "next_message", "Next message",
            "Open the next message of the list (RETR: the server marks it seen).", "Read",
            footer=True),
    Command("view_previous", "k,K", "previous_message", "Previous message",
            "Open the previous message of the list (RETR: the server marks it seen).", "Read"),
    Command("view_page_down", "space", "page(1)", "Page down", "Scroll down one page.", "Read"),
    Command("view_page_up", "minus,b", "page(-1)", "Page up", "Scroll up one page.", "Read"),
    Command("view_links", "ctrl+b,U", "links", "Links",
            "Every link with where it really goes: open it in the browser or copy it.",
            "Read", footer=True),
    Command("view_attachments", "a", "attachments", "Attachments",
            "Go to the attachments: Enter views text and attached messages, opens others.",
            "Read",
            footer=True),
    Command("view_headers", "h", "toggle_headers", "All headers",
            "Show all header fields, or the usual few.", "Read",
            footer=True),
    Command("view_source", "v", "toggle_raw", "Source", "Show the message as sent, or as text.",
            "Read",
            footer=True),
    Command("view_pager", "o", "pager", "Pager",
            "Read the headers and the text (or the source) in $PAGER.", "Read",
            footer=True),
    Command("view_close", "q,escape", "close", "Back", "Back to the list (or the message this "
            "one is attached to).", "Read", footer=True),
    Command("view_search", "slash", "search", "Search",
            "Search the text (a word, or a regular expression); matches are highlighted.",
            "Search", footer=True),
    Command("view_search_next", "n", "search_next", "Next match", "Go to the next match.",
            "Search"),
    Command("view_search_previous", "N", "search_previous", "Previous match",
            "Go to the previous match.", "Search"),
    Command("view_save", "w", "save_attachment", "Save attachment",
            "Save (write) the chosen attachment to a folder.", "Save"),
    Command("view_save_all", "W", "save_all", "Save all", "Save every attachment.", "Save"),
    # Keeping the open message (popui.screens.keeping): as on the list, without a new RETR
    Command("view_copy", "C", "copy", "Copy",
            "Copy the message to a Maildir or mbox (it is read already: no RETR).", "Save"),
    Command("view_save_message", "s", "save", "Save",
            "Copy the message, then mark it for deletion and go back to the list.", "Save",
            footer=True),
    Command("view_pipe", "vertical_line", "pipe", "Pipe",
            "Pipe the message to a shell command and show what it prints.", "Save"),
    Command("view_save_eml", "e", "save_eml", "Save .eml", "Save the whole message as .eml.",
            "Save"),
    Command("view_mark", "d", "mark", "Mark",
            "Mark the message for deletion and go back to the list.", "Delete",
            footer=True),
)

APP_COMMANDS: tuple[Command, ...] = (
    Command("help", "question_mark,f1", "app.help", "Help", "Show the keys.", "General",
            footer=True),
    Command(
        "quit_now", "ctrl+q", "app.quit_now", "Quit now",
        "Quit at once. Never deletes anything.", "General", priority=True,
    ),
    # Not a priority binding: the screen's "copy the selected text" comes first and passes the
    # key on when nothing is selected.
    Command(
        "copy_or_quit", "ctrl+c", "app.quit_now", "Copy or quit",
        "Copy the selected text; with none selected, quit at once.", "General", palette=False,
    ),
    Command(
        "palette", "ctrl+p", "app.command_palette", "Commands",
        "Search and run any command.", "General", palette=False,
    ),
)

ALL_COMMANDS: tuple[Command, ...] = MAIN_COMMANDS + VIEW_COMMANDS + APP_COMMANDS
COMMAND_IDS = frozenset(command.id for command in ALL_COMMANDS)


def bindings(commands: Iterable[Command]) -> list[BindingType]:
    """Textual bindings for these commands (their ids make them remappable)."""
    return [
        Binding(
            command.keys,
            command.action.removeprefix("app."),
            command.title,
            show=command.footer,
            priority=command.priority,
            tooltip=command.help,
            id=command.id,
        )
        for command in commands
    ]


def check_keymap(keymap: Mapping[str, str]) -> list[str]:
    """Problems with a user keymap (unknown command ids), as readable lines."""
    return [
        f"keymap: unknown command '{name}' (known: {', '.join(sorted(COMMAND_IDS))})"
        for name in keymap
        if name not in COMMAND_IDS
    ]


def effective_keys(command: Command, keymap: Mapping[str, str]) -> list[str]:
    return [key.strip() for key in keymap.get(command.id, command.keys).split(",") if key.strip()]


def help_rows(
    keymap: Mapping[str, str], key_display: Callable[[str], str], commands: Iterable[Command]
) -> list[tuple[str, str, str, str]]:
    """``(group, keys in effect, title, help)`` for each command, for the help screen."""
    return [
        (
            command.group,
            ", ".join(key_display(key) for key in effective_keys(command, keymap)),
            command.title,
            command.help,
        )
        for command in commands
    ]


def palette_entries(screen: object) -> list[tuple[str, str, str]]:
    """``(title, help, action)`` of what the palette offers on ``screen``: its own commands
    (its ``HELP_COMMANDS``, as the help lists them) and the app's. An action runs in the
    screen's namespace, an ``app.`` one on the app."""
    own: Iterable[Command] = getattr(screen, "HELP_COMMANDS", ())
    return [(command.title, command.help, command.action)
            for command in (*own, *APP_COMMANDS) if command.palette]
