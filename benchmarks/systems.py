"""
The systems under test, behind one small interface, so every case runs the same code on each

    system = System(workers)   nothing runs yet
    system.start()             make the team or pool
    system.ready()             wait until every worker has run a task
    system.submit_all(fn, calls)   submit fn(*args) for each args one by one, wait for all
    system.call(fn, *args)     one submit-and-wait round trip
    system.map(fn, items, chunksize)   a chunked map; results in any order
    system.enqueue(fn, count)  submit {count} calls of fn() and do not wait (case F)
    system.abort()             drop what is queued and shut down
    system.stop()              shut down gracefully, waiting for the workers to exit

{cases} says which cases a system takes part in
"""

import concurrent.futures
import itertools
import multiprocessing
import os
import tempfile
import time

from pyre.nexus.Pool import Pool as OldPool
from pyre.units.SI import second

import work

# unique names: pyre hands back the old instance for a reused name
_serial = itertools.count(1)


def unique(stem):
    return f"{stem}-{os.getpid()}-{next(_serial)}"


class System:
    """The common parts"""

    name = "?"
    cases = {"A", "A2", "B", "C", "D", "E", "F", "S"}

    def __init__(self, workers=2):
        self.workers = workers
        self.started = False

    def start(self):
        self._start()
        self.started = True

    def stop(self):
        self.started = False
        self._stop()

    def abort(self):
        self.started = False
        self._abort()

    def ready(self):
        """Every worker runs one task, at the same time, through a barrier"""
        fd, path = tempfile.mkstemp(prefix="bench-ready-")
        os.close(fd)
        try:
            pids = self.submit_all(work.rendezvous, [(path, self.workers)] * self.workers)
        finally:
            os.unlink(path)
        if len(set(pids)) != self.workers:
            raise RuntimeError(f"{len(set(pids))} distinct workers ran the tasks, not {self.workers}")
        return pids

    def call(self, fn, *args):
        return self.submit_all(fn, [args])[0]


class PyreNexus(System):
    """pyre_nexus: the staff, with its defaults: its event loop in a thread of its own"""

    name = "pyre_nexus"
    cases = System.cases | {"G"}
    mode = "auto"

    def _start(self):
        import pyre_nexus

        self.team = pyre_nexus.staff()(name=unique("bench"), size=self.workers, mode=self.mode)

    def submit_all(self, fn, calls):
        team = self.team
        futures = [team.submit(fn, *args) for args in calls]
        team.wait(futures)
        return [future.result() for future in futures]

    def call(self, fn, *args):
        return self.team.submit(fn, *args).result()

    def map(self, fn, items, chunksize):
        return list(self.team.map(fn, items, chunksize=chunksize))

    def enqueue(self, fn, count):
        submit = self.team.submit
        return [submit(fn) for _ in range(count)]

    def _abort(self):
        # cancel the running tasks too, in the thread of the team's loop: their workers are killed
        self.team.inLoop(self.cancel)
        self.team.shutdown(wait=True, cancel_futures=True)

    def cancel(self):
        for crew in list(self.team.crews):
            for future in [crew.running(), *crew.waiting()]:
                if future is not None:
                    future.cancel()

    def _stop(self):
        self.team.shutdown(wait=True)


class PyreNexusHost(PyreNexus):
    """pyre_nexus: the staff in the caller's event loop, which the calls that wait drive"""

    name = "pyre_nexus host"
    cases = System.cases
    mode = "host"


class PyreNexusTCP(PyreNexus):
    """pyre_nexus on crews over authenticated TCP loopback: the spawn recruiter"""

    name = "pyre_nexus tcp"
    cases = {"G"}

    def _start(self):
        super()._start()
        self.team.recruiter = "spawn"


class MPPool(System):
    """multiprocessing.Pool in the fork context: apply_async, imap_unordered"""

    name = "mp.Pool"

    def _start(self):
        self.pool = multiprocessing.get_context("fork").Pool(self.workers)

    def submit_all(self, fn, calls):
        pending = [self.pool.apply_async(fn, args) for args in calls]
        return [each.get() for each in pending]

    def call(self, fn, *args):
        return self.pool.apply_async(fn, args).get()

    def map(self, fn, items, chunksize):
        return list(self.pool.imap_unordered(fn, items, chunksize=chunksize))

    def enqueue(self, fn, count):
        apply = self.pool.apply_async
        return [apply(fn) for _ in range(count)]

    def _abort(self):
        self.pool.terminate()
        self.pool.join()

    def _stop(self):
        self.pool.close()
        self.pool.join()


class Executor(System):
    """concurrent.futures.ProcessPoolExecutor in the fork context"""

    name = "cf.PPE"

    def _start(self):
        self.executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("fork")
        )

    def submit_all(self, fn, calls):
        futures = [self.executor.submit(fn, *args) for args in calls]
        return [future.result() for future in futures]

    def call(self, fn, *args):
        return self.executor.submit(fn, *args).result()

    def map(self, fn, items, chunksize):
        return list(self.executor.map(fn, items, chunksize=chunksize))

    def enqueue(self, fn, count):
        submit = self.executor.submit
        return [submit(fn) for _ in range(count)]

    def _abort(self):
        # kill the workers, so a running task cannot hold the shutdown up
        for process in list((getattr(self.executor, "_processes", None) or {}).values()):
            process.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _stop(self):
        self.executor.shutdown(wait=True)


class Loky(Executor):
    """loky's ProcessPoolExecutor, a fresh one each time (its own start method, cloudpickle)"""

    name = "loky"

    def _start(self):
        import loky

        self.executor = loky.ProcessPoolExecutor(max_workers=self.workers)

    def _abort(self):
        self.executor.shutdown(wait=True, kill_workers=True)


class PyreStaff(System):
    """pyre.nexus 1.14's Staff: assign(task, callback), run its dispatcher until they all called"""

    name = "pyre.nexus Staff"

    def _start(self):
        from pyre.nexus.Staff import Staff

        self.team = Staff(name=unique("old-staff"))
        self.team.size = self.workers

    def submit_all(self, fn, calls):
        team = self.team
        results = [None] * len(calls)
        errors = []
        left = [len(calls)]

        def deliver(index):
            def callback(result=None, error=None):
                results[index] = result
                if error is not None:
                    errors.append(error)
                left[0] -= 1
                if left[0] == 0:
                    team.dispatcher.stop()

            return callback

        for index, args in enumerate(calls):
            team.assign(task=work.Call(fn, *args), callback=deliver(index))
        team.dispatcher.watch()
        if errors:
            raise errors[0]
        return results

    def map(self, fn, items, chunksize):
        """It has no map: hand made chunks (work.batch) travel as tasks"""
        items = list(items)
        chunks = [(fn, items[i : i + chunksize]) for i in range(0, len(items), chunksize)]
        return [each for chunk in self.submit_all(work.batch, chunks) for each in chunk]

    def enqueue(self, fn, count):
        tasks = [work.Call(fn) for _ in range(count)]
        ignore = lambda result=None, error=None: None
        for task in tasks:
            self.team.assign(task=task, callback=ignore)
        return tasks

    def _abort(self):
        self.team.disband()

    def _stop(self):
        """Send the members home once idle, run the loop until they are gone, then disband"""
        team = self.team
        team.standDown()
        expiration = time.monotonic() + 10

        def watchdog(timestamp):
            if not (team.active or team.idle or team.registered) or time.monotonic() > expiration:
                team.dispatcher.stop()
                return None
            return 0.005 * second

        if team.active or team.idle or team.registered:
            team.dispatcher.alarm(interval=0.005 * second, call=watchdog)
            team.dispatcher.watch()
        team.disband()


class PyrePool(System):
    """pyre.nexus 1.14's Pool: a workplan run to completion; it recruits its crews for each run"""

    name = "pyre.nexus Pool"
    cases = {"A", "D"}

    def _start(self):
        self.team = None

    def ready(self):
        # a pool recruits for its workplan and lets the crews go at the end of it
        return None

    def submit_all(self, fn, calls):
        pool = Keeping(name=unique("old-pool"))
        pool.size = self.workers
        pool.results, pool.errors = {}, []
        tasks = [work.Call(fn, *args) for args in calls]
        pool.assemble(workplan=set(tasks))
        pool.run()
        if pool.errors:
            raise pool.errors[0]
        return [pool.results.get(task) for task in tasks]

    def _abort(self):
        pass

    def _stop(self):
        pass


class Keeping(OldPool):
    """A pyre.nexus 1.14 pool that keeps its results; the stock one only logs them"""

    def collect(self, task, result):
        self.results[task] = result

    def abandon(self, task, error):
        self.errors.append(error)


# in the order of the tables
ALL = [PyreNexus, PyreNexusHost, PyreNexusTCP, MPPool, Executor, Loky, PyreStaff, PyrePool]
