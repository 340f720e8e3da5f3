"""Running the trials on Dask distributed: a local cluster of worker processes, or an
existing cluster, fed with a bounded number of trials in flight, and the results written to
the directory's database as they come back.

The driver holds no trial's arrays: workers run :func:`run_trial` and send back a
:class:`TrialResult`. The sweep points' scenarios (a few kB of JSON each) go to every worker
once, in a worker plugin that the scheduler also hands to workers that join or restart later,
and are validated once per worker; a task carries only its point and trial numbers.
Dask reschedules the trials of a worker that dies; a trial it cannot run (a worker lost
again and again) is left out of the database, so the next run of the same command runs it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from distributed.diagnostics.plugin import WorkerPlugin

from airdefense.errors import AirdefenseError
from airdefense.montecarlo.stats import wilson_interval
from airdefense.montecarlo.store import RunIdentity, Store
from airdefense.montecarlo.sweep import (
    SweepAxis,
    SweepPoint,
    parse_sweeps,
    scenario_hash,
    sweep_points,
)
from airdefense.montecarlo.trial import TrialResult, error_text, run_trial
from airdefense.scenario.models import Scenario

T = TypeVar("T")

#: Threads each worker runs with: one trial per process, and the libraries below it held to
#: one thread, so K workers use K cores and no more (numba's parallel kernels, BLAS).
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # Dask's statistical profiler of worker threads keeps every sampled call stack: over
    # 1,000 trials a worker grew by ~74 MB with it, and stays flat without it
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
}
#: Trials in flight per worker thread: enough that no worker waits for the driver, few
#: enough that the driver holds little and an interruption loses little.
IN_FLIGHT_PER_THREAD = 2
MIN_IN_FLIGHT = 8
#: A batch of results is written at least this often (seconds), and when it gets this big.
FLUSH_S = 1.0
BATCH_MAX = 256
#: How long to wait for an existing cluster's scheduler (seconds).
CONNECT_TIMEOUT_S = 10
#: Longest that Ctrl-C is ignored while the local cluster's workers are spawned (seconds).
SPAWN_TIMEOUT_S = 60
#: Most trials of one study (per sweep point, and over all points): a typo like -n 2**40
#: must not start a study of centuries (1,000,000 trials of 1 s are ~12 days on a core).
MAX_TRIALS = 1_000_000
#: Seeds are 64-bit signed integers in the databases.
MAX_SEED = 2**63 - 1
#: Most worker processes of a local cluster: this many per core, and never more than
#: ``MAX_WORKERS`` (each takes ~420 MB; more processes than cores only share the cores).
MAX_WORKERS_PER_CORE = 4
MAX_WORKERS = 256
#: What --scheduler takes: [PROTOCOL://]HOST:PORT, over TCP.
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss")
_ADDRESS = re.compile(
    r"(?:(?P<proto>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})",
    re.ASCII,
)


class ClusterError(AirdefenseError):
    """A cluster that cannot be started or reached; ``str()`` is the one-line message."""


class Interrupted(Exception):
    """The run was interrupted (Ctrl-C); every finished trial was saved."""

    def __init__(self, saved: int, total_done: int, total: int) -> None:
        self.saved = saved
        self.total_done = total_done
        self.total = total
        super().__init__(f"interrupted after {saved} new trials ({total_done}/{total} done)")


@dataclass(frozen=True)
class Plan:
    """What a Monte Carlo command runs: the sweep points, the trials, and its identity."""

    identity: RunIdentity
    points: list[SweepPoint]
    trials: int
    description: str = ""

    @property
    def total(self) -> int:
        """Trials over all points."""
        return self.trials * len(self.points)


def make_plan(
    scenario: Scenario,
    trials: int,
    sweeps: list[str] | None = None,
    seed: int | None = None,
    source: str = "<scenario>",
    axes: list[SweepAxis] | None = None,
) -> Plan:
    """The plan of ``trials`` trials at every point of the sweeps over ``scenario`` (its seed
    replaced by ``seed`` if given): ``sweeps`` as the command line writes them
    (``PATH=V1,V2``), or ``axes`` already parsed. Raises SweepError (one line) for a bad
    sweep."""
    if isinstance(trials, bool) or not 1 <= trials <= MAX_TRIALS:
        raise AirdefenseError(f"must be 1 to {MAX_TRIALS:,} (got {trials:,})", source="--trials")
    if seed is not None and (isinstance(seed, bool) or not 0 <= seed <= MAX_SEED):
        raise AirdefenseError(f"must be 0 to 2**63-1 = {MAX_SEED} (got {seed})", source="--seed")
    base = scenario if seed is None else scenario.model_copy(update={"seed": seed})
    axes = list(axes or []) + parse_sweeps(list(sweeps or []))
    points = sweep_points(base, axes, source)
    if trials * len(points) > MAX_TRIALS:
        raise AirdefenseError(
            f"{trials:,} trials at each of {len(points):,} sweep points are "
            f"{trials * len(points):,} trials: at most {MAX_TRIALS:,} in one study (fewer "
            "trials or fewer points)",
            source="--trials",
        )
    identity = RunIdentity(
        scenario=base.name,
        # the seed is compared on its own: the hash is of everything else
        scenario_sha256=scenario_hash(base.model_copy(update={"seed": 0})),
        seed=base.seed,
        sweep=tuple(a.text for a in axes),
    )
    return Plan(identity, points, trials, base.description)


def default_workers() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def max_workers() -> int:
    """The most worker processes a local cluster may have on this machine."""
    return min(MAX_WORKERS, MAX_WORKERS_PER_CORE * default_workers())


def check_cluster_options(workers: int | None, scheduler: str | None) -> None:
    """Refuse, before anything is written, a number of workers this machine cannot hold,
    both a local and an existing cluster, and a scheduler address that is none (ClusterError,
    one line)."""
    if workers is not None and scheduler is not None:
        raise ClusterError(
            "--workers and --scheduler: give one (a local cluster, or an existing one)"
        )
    if workers is not None:
        cap = max_workers()
        if isinstance(workers, bool) or not 1 <= workers <= cap:
            cores = default_workers()
            raise ClusterError(
                f"--workers {workers}: must be 1 to {cap} on this machine ({cores} cores, at "
                f"most {MAX_WORKERS_PER_CORE} per core and {MAX_WORKERS} in all); for more, "
                "start a Dask cluster and give its --scheduler"
            )
    if scheduler is not None:
        scheduler_address(scheduler)


def scheduler_address(text: str) -> tuple[str, str, int]:
    """``[PROTOCOL://]HOST:PORT`` as (protocol, host, port); ClusterError (one line) for
    anything else."""
    m = _ADDRESS.fullmatch(text)
    port = int(m["port"]) if m else 0
    proto = (m["proto"] or "tcp").lower() if m else ""
    if m is None or not 1 <= port <= 65535:
        raise ClusterError(
            f"--scheduler {text}: not a scheduler address (give tcp://HOST:PORT, e.g. "
            "tcp://10.0.0.5:8786)"
        )
    if proto not in SCHEDULER_PROTOCOLS:
        raise ClusterError(
            f"--scheduler {text}: protocol {proto!r} is not supported (use one of "
            f"{', '.join(p + '://' for p in SCHEDULER_PROTOCOLS)})"
        )
    return proto, m["host"].strip("[]"), port


def _reachable(text: str) -> None:
    """A plain TCP connection to the scheduler's port, first: nothing listening, an unknown
    host or no answer is one line at once, not Dask's retries until its timeout."""
    _, host, port = scheduler_address(text)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except ConnectionRefusedError:
        raise ClusterError(
            f"--scheduler {text}: cannot connect (nothing listens on that port: is the "
            "scheduler running? is the address right?)"
        ) from None
    except socket.gaierror as exc:
        raise ClusterError(
            f"--scheduler {text}: cannot connect (unknown host {host}: {exc.strerror})"
        ) from None
    except TimeoutError:
        raise ClusterError(
            f"--scheduler {text}: cannot connect (no answer within {CONNECT_TIMEOUT_S} s: a "
            "firewall, or the wrong address?)"
        ) from None
    except OSError as exc:
        raise ClusterError(f"--scheduler {text}: cannot connect ({exc.strerror or exc})") from None


class CtrlC:
    """Whether Ctrl-C was pressed during a run (see :func:`ctrl_c_noticed`); calling it
    says so."""

    def __init__(self) -> None:
        self.pressed = False

    def __call__(self) -> bool:
        return self.pressed


@contextlib.contextmanager
def ctrl_c_noticed() -> Iterator[CtrlC]:
    """Ctrl-C during the block, noticed even where a library swallows the KeyboardInterrupt
    it raises (Dask's client calls and garbage-collector callbacks do) or turns into its own
    error (DuckDB's "Query interrupted"): besides raising it, the handler sets a flag that
    the driver checks between trials and when something fails, and the "Exception ignored"
    report of one raised where it cannot propagate is not printed."""
    state = CtrlC()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum: int, frame: Any) -> None:
        state.pressed = True
        raise KeyboardInterrupt

    def unraisable(info: Any) -> None:
        if not isinstance(info.exc_value, KeyboardInterrupt):
            hook(info)

    previous = signal.signal(signal.SIGINT, handler)
    hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook


def _spawned_workers(before: set[int]) -> int:
    """Worker processes (multiprocessing's spawned children) started since ``before``."""
    import psutil

    count = 0
    for child in psutil.Process().children():
        if child.pid in before:
            continue
        with contextlib.suppress(psutil.Error):
            if "--multiprocessing-fork" in child.cmdline():
                count += 1
    return count


def _start_deaf_workers(start: Callable[[], T], n: int) -> T:
    """``start()``, which starts ``n`` worker processes, such that the workers never see
    Ctrl-C.

    A terminal sends SIGINT to the whole process group: to the driver, which stops the run,
    saves what finished and says so in one line, and to every worker process, each of which
    would die printing a traceback. A process keeps an ignored signal across exec (and
    nothing else of its parent's signal handling), so SIGINT is ignored from just before the
    workers are spawned until they all are; ``start()`` runs in a thread meanwhile, and Ctrl-C
    works again (KeyboardInterrupt here, the cluster closed) while it waits for them to
    come up, which takes seconds.
    """
    if threading.current_thread() is not threading.main_thread():
        return start()
    import psutil

    before = {c.pid for c in psutil.Process().children()}
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = start()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, name="airdefense-start-cluster", daemon=True)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        thread.start()
        end = time.monotonic() + SPAWN_TIMEOUT_S
        while thread.is_alive() and _spawned_workers(before) < n and time.monotonic() < end:
            time.sleep(0.01)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        thread.join(SPAWN_TIMEOUT_S)  # let it finish, then close what it started
        started = box.get("value")
        if started is not None:
            with _quiet_logs():
                _quietly(started.close)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


class _IgnoreCtrlC(WorkerPlugin):
    """Installed on the local cluster's workers: a worker that restarts (after the start,
    so not under :func:`_start_deaf_workers`) ignores Ctrl-C too, once it is set up."""

    name = "airdefense-ignore-ctrl-c"

    def setup(self, worker: Any) -> None:
        """Ignore SIGINT in the worker process (from its main thread, where it runs)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


class ScenarioPlugin(WorkerPlugin):
    """The sweep points' scenarios (canonical JSON), installed on every worker of the cluster
    once, and on every worker that joins later (a restarted one too): a task then carries
    only its point and trial numbers."""

    def __init__(self, name: str, scenarios: dict[int, str]) -> None:
        self.name = name
        self.scenarios = scenarios

    def setup(self, worker: Any) -> None:
        """Nothing to do: holding the scenarios is the point."""

    def teardown(self, worker: Any) -> None:
        """Nothing to release."""


def _run_on_worker(
    trial_fn: Callable[[str, int, int], TrialResult], plugin: str, point: int, trial: int
) -> TrialResult:
    """A task: ``trial_fn`` on the point's scenario from the worker's plugin, with numba's
    parallel kernels held to one thread in this thread (numba's setting is per thread, and a
    worker of an existing cluster may have started with more)."""
    import numba
    from distributed import get_worker

    if numba.get_num_threads() != 1:
        numba.set_num_threads(1)
    scenario_json = get_worker().plugins[plugin].scenarios[point]
    return trial_fn(scenario_json, point, trial)


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on a new local cluster of ``workers`` processes (one thread
    each; default: one per core), or on the existing cluster at ``scheduler``. Closed (and
    the local cluster shut down) on exit."""
    import dask
    from distributed import Client, LocalCluster

    check_cluster_options(workers, scheduler)
    if scheduler is not None:
        _reachable(scheduler)
        try:
            with _quiet_logs():
                client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as exc:  # whatever answers there, it is not a scheduler we can use
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ClusterError(
                f"--scheduler {scheduler}: cannot connect ({reason}); is a Dask scheduler "
                "listening there?"
            ) from None
        try:
            yield client
        finally:
            with _quiet_logs():
                _quietly(client.close)
        return
    n = workers or default_workers()

    def start() -> Any:
        return LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard; its HTTP endpoint on a free port (never a taken 8787)
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
            env=dict(WORKER_ENV),
        )

    local = client = None
    try:
        with _quiet_logs(), dask.config.set({"distributed.worker.profile.enabled": False}):
            try:
                local = _start_deaf_workers(start, n)
            except Exception as exc:  # a cluster that cannot start is the user's to know
                reason = " ".join(str(exc).split())[:200] or type(exc).__name__
                raise ClusterError(
                    f"cannot start a local cluster of {n} workers ({reason}); try fewer --workers"
                ) from None
            client = Client(local, set_as_default=False)
            with contextlib.suppress(Exception):
                client.register_plugin(_IgnoreCtrlC())
        yield client
    finally:
        with _quiet_logs():
            if client is not None:
                _quietly(client.close)
            if local is not None:
                _quietly(local.close)


def _quietly(close: Callable[[], Any]) -> None:
    with contextlib.suppress(Exception):
        close()


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Distributed's start-up and shut-down chatter (a worker closing while it is asked for
    something) is not the user's business."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass
class Progress:
    """What the driver reports after each result: trials done (of all, including those
    found in the database), this session's rate, and the running estimate."""

    done: int
    total: int
    rate_per_s: float
    estimate: str


@dataclass
class Outcome:
    """What one execution did."""

    ran: int  # trials finished and saved now
    skipped: int  # trials already in the database
    errors: int  # trials (run now) that raised
    lost: int  # trials not run: their tasks failed (workers lost); a rerun runs them
    lost_reason: str | None
    elapsed_s: float
    workers: int


class _Estimate:
    """Running P(no leak) per point, from the database's trials and the new ones."""

    def __init__(self, plan: Plan, store: Store) -> None:
        self.labels = {p.index: p.label for p in plan.points}
        self.n = dict.fromkeys(self.labels, 0)
        self.k = dict.fromkeys(self.labels, 0)
        table = store.read(plan.trials)
        ok = table.ok
        for p, leak, good in zip(table.point, table.columns["leakers"], ok, strict=True):
            if good:
                self.add(int(p), int(leak))

    def add(self, point: int, leakers: int) -> None:
        self.n[point] += 1
        self.k[point] += leakers == 0

    def text(self, point: int | None) -> str:
        if point is None:
            point = next(iter(self.labels))
        n, k = self.n[point], self.k[point]
        if n == 0:
            return ""
        lo, hi = wilson_interval(k, n)
        where = f" at {self.labels[point]}" if len(self.labels) > 1 else ""
        return f"P(no leak){where} {k / n:.2f} [{lo:.2f}, {hi:.2f}]"


def execute(
    plan: Plan,
    store: Store,
    client: Any,
    progress: Callable[[Progress], None] | None = None,
    trial_fn: Callable[[str, int, int], TrialResult] = run_trial,
    interrupted: Callable[[], bool] | None = None,
) -> Outcome:
    """Run every trial of ``plan`` missing from ``store`` on ``client``'s cluster.

    Trials are submitted trial-major (trial 0 of every point, then trial 1, ...), so an
    interrupted sweep has about as many trials at every point; ``IN_FLIGHT_PER_THREAD`` per
    worker thread (at least ``MIN_IN_FLIGHT``) are in flight, the next submitted as one
    finishes. Results are written in batches (one transaction each, at least every
    ``FLUSH_S``). A trial's own exception comes back in its result and is saved; a task that
    fails (a worker lost again and again) is counted in ``Outcome.lost`` and left for the next
    run. Ctrl-C (a KeyboardInterrupt, or ``interrupted()`` true: it is asked after every
    result) writes what has finished and raises :class:`Interrupted`.
    """
    from distributed import as_completed

    start = time.perf_counter()
    done = store.done()
    todo = [
        (p.index, t) for t in range(plan.trials) for p in plan.points if (p.index, t) not in done
    ]
    skipped = plan.total - len(todo)
    estimate = _Estimate(plan, store)
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    in_flight = max(IN_FLIGHT_PER_THREAD * threads, MIN_IN_FLIGHT)
    # unique per execution: two runs sharing a cluster never share a plugin or a task
    tag = f"{plan.identity.scenario_sha256[:12]}-{uuid.uuid4().hex[:12]}"
    plugin = ScenarioPlugin(
        f"airdefense-scenarios-{tag}", {p.index: p.scenario_json for p in plan.points}
    )
    try:
        client.register_plugin(plugin)
    except Exception as exc:  # a worker without airdefense cannot unpickle the plugin
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ClusterError(
            f"cannot give the scenarios to the cluster's workers ({reason}); each worker needs "
            "airdefense installed, the same version as here"
        ) from None
    # results are fetched in the background as tasks finish (not one round trip each)
    ac = as_completed(loop=client.loop, with_results=True, raise_errors=False)
    pending = iter(todo)

    def submit_next() -> None:
        nxt = next(pending, None)
        if nxt is None:
            return
        point, trial = nxt
        fut = client.submit(
            _run_on_worker,
            trial_fn,
            plugin.name,
            point,
            trial,
            key=f"airdefense-trial-{tag}-{point}-{trial}",
            pure=False,
        )
        ac.add(fut)

    batch: list[TrialResult] = []
    saved = errors = lost = 0
    lost_reason: str | None = None
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal saved, last_flush
        saved += store.write(batch)
        batch.clear()
        last_flush = time.monotonic()

    pressed = interrupted or (lambda: False)
    try:
        if pressed():
            raise KeyboardInterrupt
        for _ in range(min(in_flight, len(todo))):
            submit_next()
        for fut, value in ac:
            if pressed():
                raise KeyboardInterrupt
            res: TrialResult | None = None
            if fut.status == "error" or isinstance(value, BaseException):
                exc = value[1] if isinstance(value, tuple) else value
                lost += 1
                lost_reason = lost_reason or error_text(exc)
            else:
                res = value
            fut.release()
            submit_next()
            last_point = None
            if res is not None:
                batch.append(res)
                if res.error is None:
                    estimate.add(res.point, int(res.leakers or 0))
                    last_point = res.point
                else:
                    errors += 1
            if len(batch) >= BATCH_MAX or time.monotonic() - last_flush >= FLUSH_S:
                flush()
            if progress is not None:
                finished = saved + len(batch)
                elapsed = time.perf_counter() - start
                progress(
                    Progress(
                        done=skipped + finished + lost,
                        total=plan.total,
                        rate_per_s=finished / elapsed if elapsed > 0 else math.nan,
                        estimate=estimate.text(last_point),
                    )
                )
        flush()
    except BaseException as exc:
        # Ctrl-C: a KeyboardInterrupt, or one a library turned into its own error (DuckDB
        # stops a query with "Query interrupted")
        if not isinstance(exc, KeyboardInterrupt) and not (
            isinstance(exc, Exception) and pressed()
        ):
            raise
        with contextlib.suppress(Exception):
            flush()
        with _quiet_logs(), contextlib.suppress(Exception):
            client.cancel(list(ac.futures))
        raise Interrupted(saved, skipped + saved, plan.total) from None
    finally:
        with _quiet_logs(), contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)
    return Outcome(
        ran=saved,
        skipped=skipped,
        errors=errors,
        lost=lost,
        lost_reason=lost_reason,
        elapsed_s=time.perf_counter() - start,
        workers=len(client.scheduler_info()["workers"]),
    )
