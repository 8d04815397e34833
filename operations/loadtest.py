"""A load of simulated people, as browsers send it: officials autosaving answers, reviewers browsing.

An asyncio client (httpx) with one session per person: cookies kept as the browser keeps them
(the app sets them ``Secure``: the client speaks plain HTTP behind the proxy header, so it keeps
them itself), CSRF from the cookie, ``Origin`` on every POST. An official saves an answer as
``static/js/autosave.js`` does (the form's fields, ``HX-Request``, ``X-CSRFToken``, the revision the
last answer gave, a new save id; a 5xx or a network error is sent again, same body, with a
growing delay) and remembers the last value it sent per indicator. Used by ``bench_load``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import httpx

from .benchprocs import PROXY_HEADERS

LOGIN_PATH = "/accounts/login/"
RETRIES = 6  # autosave.js: retries 6, backoff 1 s doubling, at most 30 s
BACKOFF = 1.0
SLOW_MS = 300
ROUND_LINK = re.compile(r'href="/rounds/(\d+)/"')
INPUT = re.compile(r"<input\b[^>]*>")
REVISION_NAME = re.compile(r'\bname="([^"]+)-revision"')
VALUE = re.compile(r'\bvalue="([^"]*)"')
logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request


@dataclass(frozen=True)
class Sample:
    kind: str
    status: int  # 0: no answer (a network error)
    ms: float
    at: float  # seconds since the start of the load
    why: str = ""


@dataclass
class Official:
    """A simulated official: their round, its dimensions' indicators, and the last value sent per indicator."""

    username: str
    round_pk: int
    dimensions: list[tuple[str, list[tuple[str, bool]]]]  # (dimension code, [(indicator code, N/A allowed)])
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (choice, justification)
    outcome: dict[str, int] = field(default_factory=dict)  # code -> status of the last save of that value


@dataclass
class Load:
    """What a run measured."""

    samples: list[Sample] = field(default_factory=list)
    logins: list[Sample] = field(default_factory=list)
    seconds: float = 0.0


class Browser:
    """One person's browser: cookies and the requests it made."""

    def __init__(self, client: httpx.AsyncClient, base: str, load: Load, started: float):
        self.client, self.base, self.load, self.started = client, base, load, started
        self.cookies: dict[str, str] = {}
        self.origin = "https://" + base.split("://", 1)[1]
        self.measuring = True

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    async def request(self, kind: str, method: str, path: str, *, data=None, headers=None) -> httpx.Response | None:
        sent = {**PROXY_HEADERS, "Referer": self.origin + path, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method == "POST":
            sent["Origin"] = self.origin
        start = time.perf_counter()
        try:
            response = await self.client.request(method, self.base + path, data=data, headers=sent)
        except httpx.HTTPError as error:
            self._record(Sample(kind, 0, (time.perf_counter() - start) * 1000, start - self.started, repr(error)))
            return None
        ms = (time.perf_counter() - start) * 1000
        self._keep_cookies(response)
        why = ""
        location = response.headers.get("location", "")
        if response.status_code == 409:
            why = conflict_reason(response.text)
        elif response.is_redirect and location.startswith(LOGIN_PATH) and kind != "log-in":
            why = "signed out (redirect to the log-in page)"
        self._record(Sample(kind, response.status_code, ms, start - self.started, why))
        return response

    def _record(self, sample: Sample) -> None:
        (self.load.samples if self.measuring else self.load.logins).append(sample)

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def log_in(self, username: str, password: str) -> None:
        self.measuring = False
        await self.request("log-in", "GET", LOGIN_PATH)
        body = {"csrfmiddlewaretoken": self.csrf(), "username": username, "password": password}
        response = await self.request("log-in", "POST", LOGIN_PATH, data=body)
        self.measuring = True
        if response is None or response.status_code != 302 or "sessionid" not in self.cookies:
            status = response.status_code if response is not None else "no answer"
            raise RuntimeError(f"{username} could not log in ({status})")


def conflict_reason(html: str) -> str:
    """Why the server answered 409, in a few words: a conflict panel, or the refusal's message."""
    if 'name="overwrite"' in html:  # _answer_conflict.html: "Keep my version"
        return "answer conflict: saved by someone since the revision sent"
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(text.split())[:160] or "409 without a message"


def choice_for(rng: random.Random, na_allowed: bool) -> str:
    """A value of the answer's radio buttons, as a person picks one (mostly a level)."""
    roll = rng.random()
    if roll < 0.06:
        return "dk"
    if roll < 0.1 and na_allowed:
        return "na"
    return str(rng.randint(0, 4))


async def think(rng: random.Random, seconds: float, until: float) -> None:
    """Pause as a person does between two actions (uniform around ``seconds``), not past the end."""
    await asyncio.sleep(max(0.0, min(rng.uniform(0.5, 1.5) * seconds, until - time.monotonic())))


def revisions_in(html: str) -> dict[str, int]:
    """The answers' revisions in a form page or a save's answer: each ``<input name="<code>-revision" value=…>``."""
    found = {}
    for tag in INPUT.findall(html):
        name, value = REVISION_NAME.search(tag), VALUE.search(tag)
        if name and value and value.group(1).isdigit():
            found[name.group(1)] = int(value.group(1))
    return found


def form_path(official: Official, position: int) -> str:
    dimension, _indicators = official.dimensions[position % len(official.dimensions)]
    return f"/rounds/{official.round_pk}/dimensions/{dimension}/"


async def run_official(
    browser: Browser,
    official: Official,
    until: float,
    pause: float,
    rng: random.Random,
    position: int,
    page: httpx.Response | None,
):
    """Fill in the round page by page from ``position`` (``page``, already open): every ~``pause`` s change one
    indicator and let it autosave."""
    saves = 0
    while time.monotonic() < until:
        _dimension, indicators = official.dimensions[position % len(official.dimensions)]
        if page is None:
            page = await browser.request("form page", "GET", form_path(official, position))
        position += 1
        if page is None or page.status_code != 200:
            page = None
            await think(rng, pause, until)
            continue
        text, page = page.text, None  # the next dimension's page is asked for when this one is done
        revisions = revisions_in(text)
        index = 0
        while index < len(indicators):
            await think(rng, pause, until)
            if time.monotonic() >= until:
                return
            code, na_allowed = indicators[index]
            if rng.random() > 0.3:  # else the person goes on typing in the same answer
                index += 1
            saves += 1
            choice = choice_for(rng, na_allowed)
            justification = f"{official.username}, save {saves}: {code} at level {choice}, minutes of the council."
            official.sent[code] = (choice, justification)
            status, revision = await autosave(
                browser, official.round_pk, code, revisions.get(code, 0), choice, justification
            )
            official.outcome[code] = status
            if revision is not None:
                revisions[code] = revision


async def autosave(
    browser: Browser, round_pk: int, code: str, revision: int, choice: str, justification: str
) -> tuple[int, int | None]:
    """One save as autosave.js sends it, retried like it; the last status and the revision the answer gave."""
    body = {
        f"{code}-revision": str(revision),
        f"{code}-save_id": str(uuid.uuid4()),
        f"{code}-choice": choice,
        f"{code}-justification": justification,
    }
    for attempt in range(RETRIES + 1):
        headers = {"HX-Request": "true", "X-CSRFToken": browser.csrf()}
        response = await browser.request(
            "autosave", "POST", f"/rounds/{round_pk}/answers/{code}/", data=body, headers=headers
        )
        status = response.status_code if response is not None else 0
        if 200 <= status < 300:
            return status, revisions_in(response.text).get(code)
        if status in (403, 409, 422) or 300 <= status < 400:  # shown as is, never retried (or signed out)
            return status, None
        if attempt < RETRIES:
            await asyncio.sleep(min(BACKOFF * 2**attempt, 30))
    return status, None


async def run_reviewer(browser: Browser, until: float, pause: float, rng: random.Random) -> None:
    """Browse as a programme reviewer: the queue, a round, its review page, the dashboard."""
    while time.monotonic() < until:
        queue = await browser.request("review queue", "GET", "/review/")
        rounds = ROUND_LINK.findall(queue.text) if queue is not None and queue.status_code == 200 else []
        await think(rng, pause, until)
        if rounds and time.monotonic() < until:
            pk = rng.choice(rounds)
            await browser.request("round page", "GET", f"/rounds/{pk}/")
            await think(rng, pause, until)
            if time.monotonic() < until:
                await browser.request("review page", "GET", f"/rounds/{pk}/review/")
                await think(rng, pause, until)
        if time.monotonic() < until:
            await browser.request("dashboard", "GET", "/dashboard/")
            await think(rng, pause, until)


async def run_load(
    base: str,
    *,
    officials: list[Official],
    reviewers: list[str],
    password: str,
    seconds: float,
    pause: float,
    seed: int,
    at_start: Callable[[], object] = lambda: None,
) -> Load:
    """Log everyone in, then (``at_start()``) let them work for ``seconds``; return every request's sample."""
    load = Load()
    limits = httpx.Limits(max_connections=len(officials) + len(reviewers) + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits, trust_env=False) as client:
        started = time.perf_counter()
        people = [(Browser(client, base, load, started), o.username) for o in officials]
        people += [(Browser(client, base, load, started), name) for name in reviewers]
        gate = asyncio.Semaphore(8)  # log-ins hash a password: a few at a time, before the clock starts

        async def log_in(browser: Browser, username: str) -> None:
            async with gate:
                await browser.log_in(username, password)

        await asyncio.gather(*(log_in(browser, name) for browser, name in people))
        rng = random.Random(seed)
        # Each official has the form open when the clock starts (a page each, at once, would be a burst
        # that no working day has); later pages come as each finishes a dimension.
        starts = [rng.randrange(len(official.dimensions)) for official in officials]

        async def open_form(browser: Browser, official: Official, position: int) -> httpx.Response | None:
            async with gate:
                browser.measuring = False
                page = await browser.request("form page", "GET", form_path(official, position))
                browser.measuring = True
                return page

        pages = await asyncio.gather(
            *(open_form(b, o, p) for (b, _name), o, p in zip(people, officials, starts, strict=False))
        )
        at_start()
        begin = time.monotonic()
        until = begin + seconds
        for browser, _name in people:
            browser.started = time.perf_counter()

        async def later(work, delay: float):  # people do not all start at the same instant
            await asyncio.sleep(delay)
            await work

        tasks = [
            later(
                run_official(browser, official, until, pause, random.Random(rng.random()), position, page),
                rng.uniform(0, pause),
            )
            for (browser, _name), official, position, page in zip(people, officials, starts, pages, strict=False)
        ]
        tasks += [
            later(run_reviewer(browser, until, pause, random.Random(rng.random())), rng.uniform(0, pause))
            for browser, _name in people[len(officials) :]
        ]
        await asyncio.gather(*tasks)
        load.seconds = time.monotonic() - begin
    return load


# --- figures -------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of ``values`` (nearest rank, so that a single slow request shows)."""
    ordered = sorted(values)
    if not ordered:
        return (0.0, 0.0, 0.0)
    return tuple(ordered[max(0, math.ceil(q * len(ordered)) - 1)] for q in (0.50, 0.95, 0.99))


def is_error(sample: Sample) -> bool:
    """Any answer but a 2xx or a 3xx, and a redirect to the log-in page (nothing was done)."""
    return not (200 <= sample.status < 400) or bool(sample.why)


def summary(samples: list[Sample], seconds: float) -> list[str]:
    """Lines: requests, errors (409s apart, with why), p50/p95/p99 per kind and overall, throughput."""
    lines = []
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    width = max([len(kind) for kind in by_kind] + [len("all")])
    lines.append(
        f"{'kind':<{width}}  {'requests':>8}  {'errors':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  {'max ms':>7}"
    )
    for kind, group in [*sorted(by_kind.items()), ("all", samples)]:
        p50, p95, p99 = percentiles([s.ms for s in group])
        errors = sum(is_error(s) for s in group)
        worst = max((s.ms for s in group), default=0.0)
        lines.append(
            f"{kind:<{width}}  {len(group):>8}  {errors:>6}  {p50:>7.0f}  {p95:>7.0f}  {p99:>7.0f}  {worst:>7.0f}"
        )
    conflicts = Counter(s.why for s in samples if s.status == 409)
    others = Counter(
        f"{s.status or 'no answer'} {s.kind}: {s.why}".strip() for s in samples if is_error(s) and s.status != 409
    )
    lines.append(
        f"409 conflicts: {sum(conflicts.values())}" + "".join(f"\n  {n} × {why}" for why, n in conflicts.items())
    )
    lines.append(
        f"other errors: {sum(others.values())}" + "".join(f"\n  {n} × {why}" for why, n in others.most_common(10))
    )
    if seconds:
        lines.append(f"throughput: {len(samples) / seconds:.1f} requests/s over {seconds:.1f} s")
        step = 10
        slow = Counter(int(s.at // step) for s in samples if s.ms > SLOW_MS)
        lines.append(
            f"over {SLOW_MS} ms, per {step} s of the window: "
            + ", ".join(f"{n * step}-{(n + 1) * step} s: {slow[n]}" for n in range(math.ceil(seconds / step)))
        )
    return lines
