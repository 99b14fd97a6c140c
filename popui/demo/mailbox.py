"""A deterministic, realistic demo mailbox: people, threads, newsletters, attachments and junk.

``generate_demo_mailbox(count, seed=..., now=...)`` returns ``(uid, raw bytes)`` pairs oldest
first, as a POP3 maildrop lists them. The same ``count``, ``seed`` and ``now`` always give the
same bytes. Big attachments are made once per process and spliced into the serialised message,
so 300 messages take a fraction of a second.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

ME = ("Demo User", "demo@popui.demo")
DOMAIN = "popui.demo"


@dataclass(frozen=True)
class Conversation:
    """The newest message of a conversation, for the next reply."""

    message_id: str
    subject: str
    person: Person
    references: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    charset: str | None = None  # encode the display name in this charset (RFC 2047)
    tz_hours: float = 0


PEOPLE = [
    Person("Alice Martin", "alice.martin@example.com", None, -5),
    Person("Bob Chen", "bob@chen.example.net", None, -8),
    Person("Jürgen Müller", "juergen.mueller@example.de", "iso-8859-1", 1),
    Person("François Lefèvre", "f.lefevre@example.fr", "utf-8", 1),
    Person("山田 太郎", "yamada@example.jp", "iso-2022-jp", 9),
    Person("佐藤 花子", "hanako.sato@example.co.jp", "shift_jis", 9),
    Person("Zoë O'Brien", "zoe@example.ie", "utf-8", 0),
    Person("Søren Nørgaard", "soren@example.dk", "iso-8859-1", 1),
    Person("Олена Коваленко", "olena@example.org", "utf-8", 2),
    Person("María José García", "mj.garcia@example.es", "iso-8859-1", 1),
    Person("Priya Raman", "priya@example.in", None, 5.5),
    Person("Tom Becker", "tom.becker@example.com", None, -5),
]
JAPANESE = {"iso-2022-jp", "shift_jis"}

PERSONAL = [
    ("Lunch on Thursday?", "Are you free for lunch on Thursday? The new noodle place opened."),
    ("Notes from today's meeting", "Attached below are my notes.\n\n- ship the beta\n- fix login"),
    ("Quick question about the budget", "Do we still have room for two more laptops this year?"),
    ("Weekend plans", "We're thinking of hiking on Saturday if the weather holds. Join us?"),
    ("Photos from the trip", "Finally sorted the photos. A few are really good!"),
    ("Can you review my draft?", "I've put the draft in the shared folder. No rush."),
    ("Happy birthday!", "Have a wonderful day! Cake is on me next week."),
    ("Re-scheduling our call", "Something came up, could we move our call to 3pm?"),
    ("Book recommendation", "You have to read 'The Dispossessed'. I couldn't put it down."),
    ("Server migration", "The old box goes offline on Friday. Please check your scripts."),
    ("ok", "ok, see you then"),
    ("", "Sent from my phone"),
    ("Moving day", "We're moving on the 14th. Pizza and boxes, come by if you can!"),
    ("Invoice #2231", "Please find the invoice details below. Payment within 30 days."),
    ("Grüße aus München", "Viele Grüße aus dem Café am Marienplatz!"),
]
REPLIES = [
    "Sounds good to me.",
    "Thanks! I'll take a look tonight.",
    "Can't make it, sorry. Next time?",
    "Agreed. Let's go with the second option.",
    "Done — let me know if anything else is missing.",
]
JAPANESE_MAIL = (
    "会議の議事録", "お疲れ様です。\n本日の会議の議事録を送ります。\nよろしくお願いします。"
)
NOTIFICATIONS = [
    ("Deploy Bot", "ci@builds.example.com", "Build #{n} passed on main", "All 412 tests passed."),
    ("Deploy Bot", "ci@builds.example.com", "Build #{n} FAILED on main", "test_login timed out."),
    ("Calendar", "calendar@example.com", "Reminder: Dentist at 10:00", "Tomorrow at 10:00."),
    ("Example Bank", "no-reply@bank.example.com", "Your monthly statement is ready",
     "Log in to online banking to view your statement. We never ask for your password."),
    ("Parcel Service", "track@parcels.example.net", "Your parcel is on its way",
     "Tracking number PX{n:08d}. Expected delivery: tomorrow."),
    ("", "alerts@monitoring.example.com", "Disk usage above 90% on web-1",
     "web-1:/var is 91% full.\n\n-- \nmonitoring"),
]
LIST_TAG = ("textual-users", "textual-users@lists.example.org")
LIST_TOPICS = ["Line API and huge lists", "Snapshot tests on CI", "Theme variables [question]"]
NEWSLETTERS = [
    ("The Weekly Terminal", "news@weekly-terminal.example.com", "Issue {n}: TUIs are back"),
    ("Python & Rust Digest", "digest@pyrust.example.org", "Digest #{n}: faster parsers"),
    ("City Library", "events@library.example.org", "Events this month (#{n})"),
]
SPAM = [
    ("WINNER NOTIFICATION", "prize@win-big.example", "You have WON $1,000,000!!!",
     "Congratulations!!! Send your bank details to claim your prize TODAY."),
    ("Account Security", "security@paypa1.example", "[ACTION REQUIRED] Your account is suspended",
     "Verify your password within 24 hours or lose access: http://paypa1.example/verify"),
    ("Dr. Pharma", "best@cheap-meds.example", "Cheap m3ds, no prescription needed",
     "Lowest prices guaranteed. Click here."),
    ("Crypto Gains", "vip@moon-coin.example", "Turn $100 into $10,000 \x1b]0;pwned\x07",
     "Our AI bot trades for you. Guaranteed returns."),
]
BIG_SIZES = (1_200_000, 2_600_000, 4_700_000)
# The newest messages: an invitation and its replies (who, replying to which, what).
WORKSHOP: list[tuple[Person, int, str]] = [
    (PEOPLE[10], -1, ""),
    (PEOPLE[11], 0, "Great, thanks! Is there parking nearby, or should I take the train?"),
    (PEOPLE[0], 0, "Could I bring a colleague? She looks after our mail gateway."),
    (PEOPLE[10], 1, "Take the train, the hub is five minutes from the station. Alice: sure!"),
]


def generate_demo_mailbox(
    count: int = 300, seed: int = 1, now: datetime | None = None
) -> list[tuple[str, bytes]]:
    """``count`` messages spread over the two years before ``now`` (default: the current time)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    rng = random.Random(seed)
    span = timedelta(days=730).total_seconds()
    ages = sorted((rng.uniform(300, span) for _ in range(count)), reverse=True)
    if ages:
        ages[-1] = 300  # the newest arrived five minutes ago
    if count > len(WORKSHOP):  # the workshop discussion: yesterday and today
        for n, hours in enumerate((27, 6, 3.5), start=count - len(WORKSHOP)):
            ages[n] = min(ages[n - 1], hours * 3600)
    kinds = _kinds(count, rng)
    builder = _Builder(rng, seed)
    out = []
    for i, (age, kind) in enumerate(zip(ages, kinds, strict=True), 1):
        raw = builder.build(i, kind, now - timedelta(seconds=age))
        uid = f"demo-{i:05d}-{hashlib.sha1(raw).hexdigest()[:12]}"
        out.append((uid, raw))
    return out


def _kinds(count: int, rng: random.Random) -> list[str]:
    weights = {
        "personal": 30, "reply": 14, "forward": 4, "japanese": 3, "notification": 14,
        "list": 6, "newsletter": 17, "attachment": 8, "short": 4,
    }
    kinds = rng.choices(list(weights), weights=list(weights.values()), k=count)
    special = ["spam"] * min(len(SPAM), max(1, count // 75)) + ["big"] * max(1, count // 100)
    for kind in special[: count // 2]:
        kinds[rng.randrange(count // 3, count)] = kind  # junk and big ones are fairly recent
    if count:
        kinds[0] = "personal"  # something to reply to
    if count > len(WORKSHOP):
        # The newest: an HTML mail with links and attachments, and the discussion it started.
        kinds[-len(WORKSHOP):] = ["workshop"] * len(WORKSHOP)
    return kinds


class _Builder:
    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.seed = seed
        self.threads: list[Conversation] = []
        self.person = PEOPLE[0]  # the correspondent of the message being built
        self.references = ""
        self.headers: dict[str, str] = {}
        self.subject = ""
        self.big = 0
        self.spam = 0
        self.workshop: list[Conversation] = []

    def build(self, i: int, kind: str, date: datetime) -> bytes:
        msg = EmailMessage()  # the MIME structure; top-level headers are written directly
        self.headers = {}
        self.subject = ""
        self.references = ""
        getattr(self, f"_{kind}")(msg, i)
        placeholder = self._big_attachment(msg) if kind == "big" else None
        message_id = f"<{i}.{self.seed}.{self.rng.getrandbits(40):010x}@{DOMAIN}>"
        tz = timezone(timedelta(hours=self.person.tz_hours))
        headers = {
            "From": self.headers.pop("From"),
            "To": formataddr(ME),
            "Subject": self.headers.pop("Subject", ""),
            "Date": format_datetime(date.astimezone(tz)),
            "Message-ID": message_id,
            **self.headers,
        }
        if kind in ("personal", "japanese", "attachment", "big", "reply", "workshop"):
            references = f"{self.references} {message_id}".strip()
            self.threads.append(Conversation(message_id, self.subject, self.person, references))
            if kind == "workshop":
                self.workshop.append(self.threads[-1])
        for n, part in enumerate(msg.walk()):
            if part.is_multipart():
                part.set_boundary(f"==popui-demo-{i}-{n}==")
        raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("ascii")
        raw += msg.as_bytes(policy=policy.SMTP)
        return raw.replace(*placeholder) if placeholder else raw

    def _subject(self, subject: str, charset: str | None = None) -> None:
        self.subject = subject
        ascii_ok = subject.isascii() and not any(ord(c) < 32 for c in subject)
        encoded = subject if ascii_ok else _encoded_word(subject, charset or "utf-8")
        self.headers["Subject"] = encoded

    # -- kinds -------------------------------------------------------------------------------

    def _from(self, msg: EmailMessage, person: Person) -> None:
        self.person = person
        if person.charset in (None, "utf-8"):
            self.headers["From"] = formataddr((person.name, person.email))
        else:
            self.headers["From"] = f"{_encoded_word(person.name, person.charset)} <{person.email}>"

    def _personal(self, msg: EmailMessage, i: int) -> None:
        person = self.rng.choice(PEOPLE)
        subject, body = self.rng.choice(PERSONAL)
        self._from(msg, person)
        self._subject(subject, person.charset)
        msg.set_content(f"Hi,\n\n{body}\n\n{person.name.split()[0]}\n")

    def _japanese(self, msg: EmailMessage, i: int) -> None:
        person = self.rng.choice([p for p in PEOPLE if p.charset in JAPANESE])
        self._from(msg, person)
        self._subject(JAPANESE_MAIL[0], person.charset)
        msg.set_content(JAPANESE_MAIL[1] + "\n", charset=person.charset)

    def _reply(self, msg: EmailMessage, i: int) -> None:
        if not self.threads:
            return self._personal(msg, i)
        parent = self.rng.choice(self.threads[-20:])
        self._from(msg, parent.person)
        subject = parent.subject if parent.subject.startswith("Re: ") else f"Re: {parent.subject}"
        self._subject(subject, None)
        self.headers["In-Reply-To"] = parent.message_id
        self.headers["References"] = parent.references.replace(" ", "\r\n ")
        self.references = parent.references
        msg.set_content(
            f"{self.rng.choice(REPLIES)}\n\n{ME[0]} wrote:\n"
            f"> Good idea, {parent.person.name.split()[0]}. Let me check and get back to you.\n"
        )

    def _forward(self, msg: EmailMessage, i: int) -> None:
        person = self.rng.choice(PEOPLE)
        self._from(msg, person)
        original = EmailMessage()
        original["From"] = "Facilities <facilities@example.com>"
        original["Subject"] = "Building closed on Monday"
        original.set_content("The building is closed on Monday for maintenance.\n")
        self._subject(f"Fwd: {original['Subject']}", None)
        if i % 2:
            msg.set_content("FYI, see the forwarded message.\n")
            msg.add_attachment(original)  # message/rfc822
        else:
            msg.set_content(
                "FYI\n\n---------- Forwarded message ---------\nFrom: "
                f"{original['From']}\nSubject: {original['Subject']}\n\n{original.get_content()}"
            )

    def _notification(self, msg: EmailMessage, i: int) -> None:
        name, email, subject, body = self.rng.choice(NOTIFICATIONS)
        self._from(msg, Person(name, email))
        self._subject(subject.format(n=i))
        msg.set_content(body.format(n=i) + "\n")

    def _list(self, msg: EmailMessage, i: int) -> None:
        person = self.rng.choice(PEOPLE)
        self._from(msg, person)
        tag, address = LIST_TAG
        self._subject(f"[{tag}] {self.rng.choice(LIST_TOPICS)}", None)
        self.headers["List-Id"] = f"<{address.replace('@', '.')}>"
        self.headers["List-Unsubscribe"] = f"<mailto:{address.replace('@', '-leave@')}>"
        self.headers["Sender"] = address
        code = "Try this:\n\n.venv/bin/pytest -k snapshot\n.. and note the dots below\n.\n"
        msg.set_content(f"Hello list,\n\n{code}\n-- \n{person.name}\n")

    def _newsletter(self, msg: EmailMessage, i: int) -> None:
        name, email, subject = self.rng.choice(NEWSLETTERS)
        self._from(msg, Person(name, email))
        self._subject(subject.format(n=i))
        self.headers["List-Unsubscribe"] = f"<https://{email.split('@')[1]}/unsubscribe?id={i}>"
        stories = self.rng.sample(["Terminal apps", "Fast parsers", "Reading group",
                                   "Open-source funding", "Keyboard shortcuts"], 3)
        text = "\n\n".join(f"* {s}\n  Read more: https://example.com/{i}/{n}"
                           for n, s in enumerate(stories))
        items = "".join(f'<li><a href="https://example.com/{i}/{n}">{s}</a></li>'
                        for n, s in enumerate(stories))
        msg.set_content(f"{name}\n\n{text}\n\nUnsubscribe: https://example.com/u\n")
        msg.add_alternative(
            f"<html><head><style>body {{ font-family: sans-serif }}</style></head><body>"
            f"<h1>{name}</h1><img src=\"https://example.com/banner.png\" alt=\"banner\">"
            f"<ul>{items}</ul><p style=\"color:#888\">You are receiving this because you "
            f"subscribed. <a href=\"https://example.com/u\">Unsubscribe</a></p>"
            f"<img src=\"https://t.example.com/open?id={i}\" width=\"1\" height=\"1\">"
            f"</body></html>\n",
            subtype="html",
        )

    def _attachment(self, msg: EmailMessage, i: int) -> None:
        self._personal(msg, i)
        choice = self.rng.randrange(3)
        if choice == 0:
            self._subject("Signed contract")
            msg.add_attachment(_pdf(20_000), maintype="application", subtype="pdf",
                               filename=f"contract-{i}.pdf")
        elif choice == 1:
            self._subject("Screenshot of the bug")
            msg.add_attachment(_png(320, 200), maintype="image", subtype="png",
                               filename="screenshot.png")
        else:
            self._subject("Logs, zipped")
            msg.add_attachment(_zip(), maintype="application", subtype="zip",
                               filename="logs.zip")

    def _workshop(self, msg: EmailMessage, i: int) -> None:
        person, parent_index, text = WORKSHOP[len(self.workshop)]
        if parent_index < 0:
            return self._invitation(msg, person)
        parent = self.workshop[parent_index]
        self._from(msg, person)
        self._subject(f"Re: {self.workshop[0].subject}")
        self.headers["In-Reply-To"] = parent.message_id
        self.headers["References"] = parent.references.replace(" ", "\r\n ")
        self.references = parent.references
        quoted = WORKSHOP[parent_index][2] or "Let me know if you have any questions."
        msg.set_content(f"{text}\n\n{parent.person.name} wrote:\n> {quoted}\n")

    def _invitation(self, msg: EmailMessage, person: Person) -> None:
        """HTML only, as many mailers send it: headings, links; a PDF and a calendar entry."""
        self._from(msg, person)
        self._subject("Workshop on Thursday: agenda, room and slides")
        agenda = "<br>".join(
            f"<b>{time}</b> {what}" for time, what in (
                ("09:30", "Welcome and coffee"), ("10:00", "Terminal UIs with Textual"),
                ("11:30", "POP3, IMAP and what mail clients get wrong"),
                ("13:00", "Lunch (vegetarian options)"), ("14:00", "Hands-on: your own mail tool"),
            )
        )
        msg.set_content(
            "<html><head><style>p { margin: 0 0 1em }</style></head><body>"
            "<p>Hi all,</p>"
            "<p>Thanks for signing up! Here is everything you need for <b>Thursday</b>.</p>"
            "<h2>Agenda</h2>"
            f"<p>{agenda}</p>"
            "<h2>Getting there</h2>"
            "<p>We are in <b>room 4.12</b> on the fourth floor "
            '(<a href="https://maps.example.com/?q=innovation+hub">map</a>). '
            "Bring a laptop with Python 3.11 or newer.</p>"
            "<ul>"
            '<li>Slides: <a href="https://slides.example.com/textual-workshop">'
            "slides.example.com/textual-workshop</a></li>"
            '<li>Exercises: <a href="https://git.example.com/workshop/exercises">'
            "the exercises repository</a></li>"
            '<li>Questions before the day? <a href="mailto:priya@example.in">Write to me</a>'
            "</li></ul>"
            "<p>The agenda and a calendar entry are attached. Let me know if you have any "
            "questions.</p>"
            "<p>See you there,<br>Priya</p>"
            '<img src="https://t.example.com/open?id=workshop" width="1" height="1">'
            "</body></html>\n",
            subtype="html",
        )
        msg.add_attachment(_pdf(38_000), maintype="application", subtype="pdf",
                           filename="workshop-agenda.pdf")
        msg.add_attachment(_ics(), maintype="text", subtype="calendar", filename="workshop.ics")

    def _short(self, msg: EmailMessage, i: int) -> None:
        person = self.rng.choice(PEOPLE)
        self._from(msg, person)
        self._subject(self.rng.choice(["thx", "Call me", "?", "running late"]))
        msg.set_content(self.rng.choice(["👍", "ok", "5 min", "Call me when you can."]) + "\n")

    def _spam(self, msg: EmailMessage, i: int) -> None:
        name, email, subject, body = SPAM[self.spam % len(SPAM)]
        self.spam += 1
        self._from(msg, Person(name, email))
        self.headers["Subject"] = _encoded_word(subject, "utf-8")
        self.headers["X-Spam-Flag"] = "YES"
        msg.set_content(body + "\n")
        msg.add_alternative(
            f'<html><body><h1 style="color:red">{subject}</h1>'
            f'<a href="http://{email.split("@")[1]}/claim">https://www.example-bank.com/</a>'
            f"</body></html>\n", subtype="html",
        )

    def _big(self, msg: EmailMessage, i: int) -> None:
        self._personal(msg, i)

    def _big_attachment(self, msg: EmailMessage) -> tuple[bytes, bytes]:
        size = BIG_SIZES[self.big % len(BIG_SIZES)]
        kind = ("pdf", "png", "zip")[self.big % 3]
        self.big += 1
        subject = {"pdf": "Annual report (final)", "png": "Holiday photo, full resolution",
                   "zip": "Project archive"}[kind]
        self._subject(subject)
        maintype, subtype = {"pdf": ("application", "pdf"), "png": ("image", "png"),
                             "zip": ("application", "zip")}[kind]
        token = f"@@demo-attachment-{kind}-{size}@@"
        msg.add_attachment(b"", maintype=maintype, subtype=subtype, filename=f"{subject}.{kind}")
        part = list(msg.iter_attachments())[-1]
        part.set_payload(token)
        return token.encode(), _big_encoded(kind, size)


# -- helpers ---------------------------------------------------------------------------------


def _encoded_word(text: str, charset: str) -> str:
    """RFC 2047 encoded words (B, or Q for the Latin charsets), folded, each under 76 chars."""
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    whole = _encoded_words(text, charset, len(text))
    return whole if len(whole) <= 75 else _encoded_words(text, charset, 12)


def _encoded_words(text: str, charset: str, chunk: int) -> str:
    words = []
    for start in range(0, len(text), chunk):
        data = text[start:start + chunk].encode(charset)
        if charset.startswith("iso-8859"):
            q = "".join(
                "_" if b == 0x20 else chr(b) if b < 0x80 and chr(b).isalnum() else f"={b:02X}"
                for b in data
            )
            words.append(f"=?{charset}?Q?{q}?=")
        else:
            words.append(f"=?{charset}?B?{base64.b64encode(data).decode()}?=")
    return "\r\n ".join(words)


@functools.cache
def _noise(size: int) -> bytes:
    return random.Random(size).randbytes(size)


@functools.cache
def _pdf(size: int) -> bytes:
    stream = zlib.compress(_noise(size), 0)
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        + f"3 0 obj << /Length {len(stream)} >> stream\n".encode()
        + stream + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


@functools.cache
def _png(width: int, height: int, noisy: bool = False) -> bytes:
    """A valid RGB PNG: a gradient, or incompressible noise for the big ones."""
    if noisy:
        rows = _noise(height * width * 3)
        raw = b"".join(b"\0" + rows[y * width * 3:(y + 1) * width * 3] for y in range(height))
    else:
        raw = b"".join(
            b"\0" + bytes(v for x in range(width) for v in (x % 256, y % 256, 128))
            for y in range(height)
        )

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 0 if noisy else 6)) + chunk(b"IEND", b""))


def _ics() -> bytes:
    return (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//popui demo//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:workshop@popui.demo\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Textual workshop\r\n"
        b"LOCATION:Room 4.12\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@functools.cache
def _zip(size: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.log", "\n".join(f"12:00:{s:02d} INFO request ok" for s in range(60)))
        archive.writestr("README.txt", "Logs from the staging server.\n")
        if size:
            archive.writestr("data.bin", _noise(size), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


@functools.cache
def _big_encoded(kind: str, size: int) -> bytes:
    """A big attachment, base64 with CRLF lines: made once, spliced into messages."""
    if kind == "pdf":
        data = _pdf(size)
    elif kind == "png":
        side = int((size / 3) ** 0.5)
        data = _png(side, side, noisy=True)
    else:
        data = _zip(size)
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
