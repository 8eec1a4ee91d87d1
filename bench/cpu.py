"""CPU time per component while a load runs, read from ``/proc`` (Linux only).

On a small machine every component shares the same cores, so req/s alone does
not say who is short of CPU. Dividing each component's CPU time by the
requests served gives its cost per request: the figure to look at when a
throughput ratio misses its target.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Mapping
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Servers found by their process name rather than started by us.
BY_NAME = {"beam.smp": "rabbitmq", "postgres": "postgres"}


@dataclass(frozen=True)
class Sample:
    name: str  # the process's comm
    group: int  # its process group id
    started: int  # clock ticks after boot: with the pid, tells a process from a later one given the same pid
    seconds: float  # user + system CPU time so far
    nice: int = 0  # its nice value: a service's background process runs niced (svclib.roles)


def snapshot() -> dict[int, Sample]:
    """Every live process's CPU time so far, by pid."""
    samples: dict[int, Sample] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                line = stat.read()
        except OSError:  # the process exited meanwhile
            continue
        # The name is in parentheses and may hold spaces; the fields after it are space-separated.
        name = line[line.index("(") + 1 : line.rindex(")")]
        fields = line[line.rindex(")") + 2 :].split()
        cpu_seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        samples[int(entry)] = Sample(name, int(fields[2]), int(fields[19]), cpu_seconds, int(fields[16]))
    return samples


def _spent(before: Mapping[int, Sample], pid: int, sample: Sample) -> float:
    previous = before.get(pid)
    start = previous.seconds if previous is not None and previous.started == sample.started else 0.0
    return sample.seconds - start


def used(
    before: Mapping[int, Sample], after: Mapping[int, Sample], groups: Mapping[str, int], niced_apart: bool = False
) -> dict[str, float]:
    """CPU seconds each component used between two snapshots; with ``niced_apart``, the niced processes of
    a group we started (a service's background process, ``svclib.serve``) are counted apart, as
    ``<name> niced``.

    ``groups`` names the process groups we started (each child runs in its own
    session, so a gunicorn master and its workers share one group); the broker
    and the database are recognised by process name; anything else is left out.
    Processes that exited between the snapshots are not seen: time a short-lived
    child with :func:`children_seconds` instead.
    """
    names_by_group = {group: name for name, group in groups.items()}
    totals: dict[str, float] = {}
    for pid, sample in after.items():
        component = names_by_group.get(sample.group)
        if component is not None and niced_apart and sample.nice > 0:
            component += " niced"
        component = component or BY_NAME.get(sample.name)
        if component is not None:
            totals[component] = totals.get(component, 0.0) + _spent(before, pid, sample)
    return totals


def of_pids(before: Mapping[int, Sample], after: Mapping[int, Sample], pids) -> float:
    """CPU seconds these processes used between two snapshots (those alive at the second)."""
    return sum(_spent(before, pid, after[pid]) for pid in pids if pid in after)


def children_seconds() -> float:
    """CPU seconds of this process's children that have exited and been waited for (wrk, once it is done)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from ``/proc/stat``."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal [guest guest_nice, already inside user and nice]
    total = sum(values[:8])
    return total - values[3] - values[4], total


def busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of all cores' time spent busy between two :func:`machine_ticks` readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0
