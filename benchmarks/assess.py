"""Throughput and memory of the assessor, run by `make bench`.

What is measured, on varied, realistic households of 1 to 9 members (pensioners alone, single
parents, couples with children, large families of 4-7 children, multigenerational households and
a few other shapes), generated deterministically from a fixed seed:

1. Single calls, in this process (one thread, so one core): `assess_data(household, store)` for
   each of 20,000 household dicts, after one warm-up pass. Three timed passes; the best and the
   median are reported as households/s. Target: at least 20,000 households/s. The same figure is
   reported a second time, for information, including the JSON of the result,
   `dumps(result.to_dict())`, which is what `komek assess` prints.
2. `komek assess --batch FILE.jsonl` as a subprocess over 100,000 households (one JSON object per
   line, output to /dev/null): wall time, from starting the process to its exit, as households/s,
   and the peak resident set (ru_maxrss) of the process. The same run over 10,000 households, and
   over an empty file (start-up alone: imports and parameter files), shows that memory does not
   grow with the number of households: the peak for 100,000 should stay within 10% of the peak for
   10,000. The peak is `getrusage(RUSAGE_CHILDREN).ru_maxrss` (KiB) taken in a small launcher
   process that starts komek and waits for it, not in this process: on Linux a child's ru_maxrss
   starts from the peak of the process that forked it, which here holds the households of part 1.
3. A summary block with each figure against its target.

Any household the generator makes that the assessor rejects (InputError) stops the benchmark: it
is a generator bug, or a core bug to report. The run takes well under two minutes on two cores.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.cli.jsonout import dumps
from bot.parameters import default_store
from core.assess import assess_data
from core.dates import age_in_years
from core.errors import InputError
from core.parameters import ParameterStore
from core.regions import REGIONS

SEED = 20260115
SINGLE_HOUSEHOLDS = 20_000
TIMED_RUNS = 3
JSON_WARM_UP = 2_000  # households whose result the warm-up also writes as JSON
BATCH_LARGE = 100_000
BATCH_SMALL = 10_000
TARGET_PER_SECOND = 20_000
MAX_RSS_GROWTH = 0.10  # peak RSS for the large batch may exceed the small batch's by this share
BATCH_TIMEOUT_S = 300.0

FIRST_DAY = date(2023, 7, 1)
LAST_DAY = date(2026, 11, 30)
MAX_MEMBERS = 9
FEMALE_PENSION_AGE = 61  # 2023-2027: women's pension age is frozen at 61 whole years
MALE_PENSION_AGE = 63

Household = dict[str, Any]
Member = dict[str, Any]


# --- household generator ---------------------------------------------------------------------


def _birth_date(rng: random.Random, on: date, age: int) -> date:
    """A birth date that gives exactly `age` whole years on `on`."""
    try:
        anniversary = on.replace(year=on.year - age)
    except ValueError:  # 29 February in a year that has none
        anniversary = on.replace(year=on.year - age, day=28)
    birth = anniversary - timedelta(days=rng.randint(0, 300))
    assert age_in_years(birth, on) == age, (birth, on, age)
    return birth


def _money(rng: random.Random, low: int, high: int) -> int | float:
    """A monthly amount in tenge: whole hundreds mostly, sometimes with tiyn."""
    amount = rng.randint(low // 100, high // 100) * 100
    if rng.random() < 0.1:
        return round(amount + rng.random() * 99, 2)
    return amount


def _wage(rng: random.Random) -> int | float:
    return 0 if rng.random() < 0.35 else _money(rng, 40_000, 300_000)


def _pension(rng: random.Random) -> int | float:
    return _money(rng, 60_000, 180_000)


def _child_income(rng: random.Random) -> int | float:
    """Alimony or a benefit counted for the child, for a few."""
    return _money(rng, 5_000, 40_000) if rng.random() < 0.15 else 0


class _Family:
    """Members in the order they are added; `cares_for` is filled in by index at the end."""

    def __init__(self, rng: random.Random, on: date, explicit: bool) -> None:
        self.rng = rng
        self.on = on
        self.explicit = explicit  # spell out every field, as some clients do
        self.members: list[Member] = []

    @property
    def room(self) -> int:
        return MAX_MEMBERS - len(self.members)

    def add(self, age: int, sex: str | None, income: int | float = 0, **facts: Any) -> int:
        rng = self.rng
        member: Member = {}
        if rng.random() < 0.1:
            member["birth_date"] = _birth_date(rng, self.on, age).isoformat()
        else:
            member["age"] = age
        if sex is not None:
            member["sex"] = sex
        if self.explicit:
            member.update(
                disability_group=0,
                child_disability=False,
                long_illness=False,
                needs_outside_care=False,
                student_full_time=False,
                permanent_job=False,
                suspended_entrepreneur=False,
                cares_for=[],
                absence=None,
                income=income,
            )
        elif income:
            member["income"] = income
        member.update(facts)
        self.members.append(member)
        return len(self.members) - 1

    def adult(self, age: int, sex: str, *, working: bool = True) -> int:
        """A person of working age or older, with the odd disability, illness or absence."""
        rng = self.rng
        facts: dict[str, Any] = {}
        retired = age >= (FEMALE_PENSION_AGE if sex == "female" else MALE_PENSION_AGE)
        income = _pension(rng) if retired else (_wage(rng) if working else 0)
        roll = rng.random()
        if roll < 0.04:
            facts["disability_group"] = rng.choice((1, 2, 3))
            income = max(income, _money(rng, 40_000, 120_000))  # disability pension
        elif roll < 0.06:
            facts["long_illness"] = True
        if not retired and income and rng.random() < 0.5:
            facts["permanent_job"] = True
        if not retired and rng.random() < 0.02:
            facts["suspended_entrepreneur"] = True
        if retired and age >= 75 and rng.random() < 0.35:
            facts["needs_outside_care"] = True
        if not retired and rng.random() < 0.05:
            facts["absence"] = "works_away"
        return self.add(age, sex, income, **facts)

    def child(self, age: int) -> int:
        rng = self.rng
        sex = rng.choice(("female", "male")) if rng.random() < 0.8 else None
        facts: dict[str, Any] = {}
        if rng.random() < 0.03:
            facts["child_disability"] = True
            if rng.random() < 0.3:
                facts["needs_outside_care"] = True
        if age >= 14 and rng.random() < 0.05:
            facts["absence"] = "studies_away"
        return self.add(age, sex, _child_income(rng), **facts)

    def grown_child(self, age: int) -> int:
        """A son or daughter of 18-22 still in the family: a student, a conscript, or working."""
        rng = self.rng
        sex = rng.choice(("female", "male"))
        roll = rng.random()
        if roll < 0.55:
            facts: dict[str, Any] = {"student_full_time": True}
            if rng.random() < 0.3:
                facts["absence"] = "studies_away"
            return self.add(age, sex, _child_income(rng), **facts)
        if roll < 0.7 and sex == "male":
            return self.add(age, sex, 0, absence="conscript")
        return self.adult(age, sex)

    def children(self, count: int, parent_age: int, *, grown: bool = False) -> list[int]:
        oldest = max(0, min(17, parent_age - 17))
        ages = sorted((self.rng.randint(0, oldest) for _ in range(count)), reverse=True)
        indexes = []
        if grown and ages and parent_age >= 38 and self.rng.random() < 0.3:
            indexes.append(self.grown_child(self.rng.randint(18, 22)))
            ages = ages[1:]
        indexes.extend(self.child(age) for age in ages)
        return indexes

    def care(self, carer: int, cared: list[int]) -> None:
        """The carer looks after those of `cared` who need it: under 3, disabled, or frail."""
        targets = []
        for index in cared:
            member = self.members[index]
            age = self._age(member)
            if (
                age < 3
                or member.get("child_disability")
                or member.get("disability_group", 0) in (1, 2)
                or member.get("needs_outside_care")
            ):
                targets.append(index)
        if targets:
            self.members[carer]["cares_for"] = sorted(set(targets) - {carer})

    def _age(self, member: Member) -> int:
        if "age" in member:
            age: int = member["age"]
            return age
        return age_in_years(date.fromisoformat(member["birth_date"]), self.on)


def _pensioner_alone(f: _Family) -> None:
    rng = f.rng
    if rng.random() < 0.7:
        f.adult(rng.randint(FEMALE_PENSION_AGE, 92), "female")
    elif rng.random() < 0.8:
        f.adult(rng.randint(MALE_PENSION_AGE, 90), "male")
    else:  # not yet of pension age, living alone
        f.adult(rng.randint(45, 60), rng.choice(("female", "male")), working=False)


def _single_parent(f: _Family) -> None:
    rng = f.rng
    sex = "female" if rng.random() < 0.9 else "male"
    age = rng.randint(19, 48)
    parent = f.adult(age, sex, working=rng.random() < 0.6)
    kids = f.children(rng.randint(1, 4), age)
    f.care(parent, kids)


def _couple_with_children(f: _Family) -> None:
    rng = f.rng
    mother_age = rng.randint(20, 48)
    mother = f.adult(mother_age, "female", working=rng.random() < 0.5)
    f.adult(min(mother_age + rng.randint(-2, 8), 60), "male")
    kids = f.children(rng.randint(1, 3), mother_age, grown=True)
    f.care(mother, kids)


def _large_family(f: _Family) -> None:
    rng = f.rng
    mother_age = rng.randint(28, 50)
    mother = f.adult(mother_age, "female", working=rng.random() < 0.3)
    if rng.random() < 0.8:
        f.adult(min(mother_age + rng.randint(-2, 8), 62), "male")
    kids = f.children(min(rng.randint(4, 7), f.room), mother_age, grown=True)
    f.care(mother, kids)


def _multigenerational(f: _Family) -> None:
    rng = f.rng
    elders = [f.adult(rng.randint(62, 90), "female")]
    if rng.random() < 0.5:
        elders.append(f.adult(rng.randint(63, 92), "male"))
    mother_age = rng.randint(22, 45)
    mother = f.adult(mother_age, "female", working=rng.random() < 0.5)
    father = f.adult(mother_age + rng.randint(0, 6), "male") if rng.random() < 0.7 else None
    kids = f.children(rng.randint(1, max(1, min(5, f.room))), mother_age)
    f.care(mother, kids)
    if father is not None:
        f.care(father, elders)
    else:
        f.care(mother, kids + elders)


def _other(f: _Family) -> None:
    rng = f.rng
    roll = rng.random()
    if roll < 0.4:  # a young adult alone
        f.adult(rng.randint(18, 40), rng.choice(("female", "male")), working=rng.random() < 0.6)
    elif roll < 0.7:  # a pensioner couple
        f.adult(rng.randint(FEMALE_PENSION_AGE, 88), "female")
        f.adult(rng.randint(MALE_PENSION_AGE, 90), "male")
    else:  # an adult caring for a brother or sister with a disability
        carer = f.adult(rng.randint(25, 55), rng.choice(("female", "male")), working=False)
        cared = f.add(
            rng.randint(18, 50),
            rng.choice(("female", "male")),
            _money(rng, 40_000, 90_000),
            disability_group=rng.choice((1, 2)),
            needs_outside_care=rng.random() < 0.5,
        )
        f.care(carer, [cared])


SHAPES: tuple[tuple[str, float, Callable[[_Family], None]], ...] = (
    ("pensioner alone", 0.15, _pensioner_alone),
    ("single parent", 0.20, _single_parent),
    ("couple with children", 0.28, _couple_with_children),
    ("large family", 0.15, _large_family),
    ("multigenerational", 0.14, _multigenerational),
    ("other", 0.08, _other),
)


def _property(rng: random.Random, explicit: bool) -> dict[str, Any] | None:
    if not explicit and rng.random() < 0.2:
        return None
    dwellings = rng.choices((0, 1, 2), weights=(15, 75, 10))[0]
    prop: dict[str, Any] = {
        "dwellings": dwellings,
        "dwellings_area_m2": sum(_money(rng, 2_500, 9_000) / 100 for _ in range(dwellings)),
        "passenger_cars": rng.choices((0, 1, 2), weights=(70, 25, 5))[0],
        "commercial_premises": rng.random() < 0.02,
        "izhs_land_plot": rng.random() < 0.08,
        "commercial_vehicles": rng.random() < 0.02,
    }
    if explicit:
        return prop
    return {k: v for k, v in prop.items() if v}


def make_household(rng: random.Random) -> Household:
    """One household of the `komek assess` contract, valid by construction."""
    on = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    explicit = rng.random() < 0.3
    family = _Family(rng, on, explicit)
    shape = rng.choices(SHAPES, weights=[w for _, w, _ in SHAPES])[0]
    shape[2](family)
    household: Household = {
        "date": on.isoformat(),
        "region": rng.choice(REGIONS),
        "members": family.members,
    }
    prop = _property(rng, explicit)
    if prop is not None:
        household["property"] = prop
    if rng.random() < 0.12:
        household["non_mortgage_loans"] = _money(rng, 50_000, 3_000_000)
    elif explicit:
        household["non_mortgage_loans"] = 0
    if rng.random() < 0.04:
        household["poverty_line"] = _money(rng, 30_000, 60_000)
    elif explicit:
        household["poverty_line"] = None
    for bar in ("refused_employment_measures_on", "contract_terminated_on", "false_information_on"):
        if rng.random() < 0.015:
            household[bar] = (on - timedelta(days=rng.randint(1, 400))).isoformat()
    return household


def households(count: int, seed: int) -> Iterator[Household]:
    rng = random.Random(seed)
    for _ in range(count):
        yield make_household(rng)


# --- 1. single calls -------------------------------------------------------------------------


def _pass_plain(items: list[Household], store: ParameterStore) -> float:
    assess = assess_data
    start = time.perf_counter()
    for household in items:
        assess(household, store)
    return time.perf_counter() - start


def _pass_json(items: list[Household], store: ParameterStore) -> float:
    assess, to_json = assess_data, dumps
    start = time.perf_counter()
    for household in items:
        to_json(assess(household, store).to_dict())
    return time.perf_counter() - start


def warm_up(items: list[Household], store: ParameterStore) -> tuple[Counter[str], Counter[int]]:
    """One untimed pass that also checks every household is accepted, and tallies the mix."""
    statuses: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    for number, household in enumerate(items):
        try:
            result = assess_data(household, store)
        except InputError as exc:
            sys.exit(
                f"household {number} was rejected: {exc}\n{json.dumps(household)}\n"
                "a generator bug (or a core bug): fix before benchmarking"
            )
        if number < JSON_WARM_UP:
            dumps(result.to_dict())
        statuses[result.status] += 1
        sizes[len(household["members"])] += 1
    return statuses, sizes


def rates(
    items: list[Household],
    timed: Callable[[list[Household], ParameterStore], float],
    store: ParameterStore,
) -> tuple[float, float]:
    """(best, median) households/s over the timed passes."""
    per_second = [len(items) / timed(items, store) for _ in range(TIMED_RUNS)]
    return max(per_second), statistics.median(per_second)


# --- 2. batch subprocess ---------------------------------------------------------------------


def write_jsonl(path: Path, count: int, seed: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for household in households(count, seed):
            out.write(json.dumps(household, ensure_ascii=False))
            out.write("\n")


def komek_command() -> Path:
    command = Path(sys.executable).parent / "komek"
    if not command.exists():
        sys.exit(f"{command} not found: run `make bench` (it installs the package first)")
    return command


# A child's ru_maxrss on Linux starts from the high-water mark of the process that forked it (the
# kernel keeps the old memory's peak across exec), so komek started from this process would report
# this process's peak: about as large as the 20,000 households held in part 1, whatever komek uses.
# A small launcher, started afresh, forks komek, waits for it, and reports its wall time and
# getrusage(RUSAGE_CHILDREN).ru_maxrss, which then is komek's own peak (KiB on Linux).
_LAUNCHER = """
import os, resource, signal, sys, time
timeout, command = float(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execv(command[0], command)
    finally:
        os._exit(127)
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status = os.waitpid(pid, 0)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(os.waitstatus_to_exitcode(status), elapsed, peak)
"""


def run_batch(command: Path, path: Path) -> tuple[float, int]:
    """Run `komek assess --batch path > /dev/null`; (wall seconds, peak RSS in KiB) of komek."""
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(BATCH_TIMEOUT_S)]
    done = subprocess.run(
        [*launcher, str(command), "assess", "--batch", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=BATCH_TIMEOUT_S + 30,
    )
    try:
        code_text, elapsed_text, peak_text = done.stdout.split()
    except ValueError:
        sys.exit(f"the launcher failed ({done.returncode}): {done.stderr.strip()}")
    code = int(code_text)
    if code != 0:
        what = f"was killed after {BATCH_TIMEOUT_S:.0f} s" if code < 0 else f"exited with {code}"
        sys.exit(f"komek assess --batch {path.name} {what}: {done.stderr.strip()}")
    return float(elapsed_text), int(peak_text)


# --- report ----------------------------------------------------------------------------------


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "BELOW TARGET"


def main() -> None:
    started = time.perf_counter()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is measured
    print("komek assessment benchmark")
    print(
        f"  python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}, seed {SEED}"
    )
    store = default_store()

    # 1. single calls
    print(f"\n1. Single calls: assess_data(household, store), {SINGLE_HOUSEHOLDS:,} households")
    start = time.perf_counter()
    items = list(households(SINGLE_HOUSEHOLDS, SEED))
    print(f"  generated in {time.perf_counter() - start:.2f} s")
    statuses, sizes = warm_up(items, store)
    print("  members:  " + ", ".join(f"{n}: {sizes[n]:,}" for n in sorted(sizes)))
    print(
        "  statuses: "
        + ", ".join(
            f"{status} {count / len(items):.1%}" for status, count in statuses.most_common()
        )
    )
    best, median = rates(items, _pass_plain, store)
    print(
        f"  assess only:        best {best:>9,.0f} /s   median {median:>9,.0f} /s"
        f"   ({1e6 / best:.1f} µs each; target ≥ {TARGET_PER_SECOND:,} /s)"
    )
    best_json, median_json = rates(items, _pass_json, store)
    print(
        f"  assess + JSON out:  best {best_json:>9,.0f} /s   median {median_json:>9,.0f} /s"
        f"   ({1e6 / best_json:.1f} µs each)"
    )
    del items

    # 2. batch subprocess
    command = komek_command()
    print(f"\n2. Batch: {command.name} assess --batch FILE.jsonl > /dev/null")
    runs: dict[int, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="komek-bench-") as directory:
        for count in (0, BATCH_SMALL, BATCH_LARGE):
            path = Path(directory) / f"households-{count}.jsonl"
            write_jsonl(path, count, SEED + count)
            runs[count] = run_batch(command, path)
            path.unlink()
            elapsed, peak = runs[count]
            if count:
                print(
                    f"  {count:>7,} households: {elapsed:6.2f} s  {count / elapsed:>7,.0f} /s"
                    f"   peak RSS {_mib(peak)}"
                )
            else:
                print(f"  start-up (empty file): {elapsed:.2f} s   peak RSS {_mib(peak)}")
    startup = runs[0][0]
    large_s, large_rss = runs[BATCH_LARGE]
    small_rss = runs[BATCH_SMALL][1]
    batch_rate = BATCH_LARGE / large_s
    steady_rate = BATCH_LARGE / (large_s - startup)
    growth = large_rss / small_rss - 1
    print(f"  {BATCH_LARGE:,} households without start-up: {steady_rate:,.0f} /s")
    print(
        f"  peak RSS, {BATCH_SMALL:,} vs {BATCH_LARGE:,} households: {_mib(small_rss)} vs "
        f"{_mib(large_rss)} ({growth:+.1%})"
    )

    # 3. summary
    width = 44
    print("\nSummary")
    print(
        f"  {'single call, households/s (best)':<{width}} {best:>10,.0f}   "
        f"target ≥ {TARGET_PER_SECOND:,}: {_verdict(best >= TARGET_PER_SECOND)}"
    )
    print(f"  {'single call + JSON, households/s (best)':<{width}} {best_json:>10,.0f}")
    print(f"  {f'batch of {BATCH_LARGE:,}, households/s (wall)':<{width}} {batch_rate:>10,.0f}")
    print(
        f"  {'batch peak RSS, 10k -> 100k households':<{width}} {growth:>+10.1%}   "
        f"target ≤ {MAX_RSS_GROWTH:+.0%}: {_verdict(growth <= MAX_RSS_GROWTH)}"
    )
    print(f"  {'benchmark wall time':<{width}} {time.perf_counter() - started:>9.1f}s")


if __name__ == "__main__":
    main()
