# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import concurrent.futures
import functools
import itertools
import threading

# joblib exports what a backend needs from {joblib.parallel}, for the backends of others
from joblib.parallel import (
    AutoBatchingMixin,
    FallbackToBackend,
    ParallelBackendBase,
    SequentialBackend,
    TimeoutError as Overdue,
    cpu_count,
)

# the framework
from pyre.framework.Priority import Priority

# my parts
from .teams import staff as foundry
from .teams.Staff import cancel
from .exceptions import ArgumentError, WaitInLoop


# declaration
class Joblib(AutoBatchingMixin, ParallelBackendBase):
    """
    A joblib parallel backend that runs the tasks of {joblib.Parallel} on a staff

    Register it once with {pyre_nexus.joblib()}, then pick it by name:
    {with joblib.parallel_config(backend="pyre_nexus"): Parallel(n_jobs=4)(...)}. Each batch of
    calls joblib hands over is one task of the staff, so the staff's traits apply to it: a
    {deadline} ends a batch that runs too long with {DeadlineExceeded}, a batch whose worker dies
    fails with {Casualty}, which names its function, and a task's own exception reaches the
    caller as itself. joblib's {timeout} counts from when the caller starts waiting for a batch;
    when a batch fails or times out, the batches still queued or running are cancelled, and the
    workers that ran them killed and, as the work needs them, replaced.

    With {staff}, the tasks run on that staff, at its size, whatever {n_jobs} says, and the
    staff is left running for its owner. Without, the backend builds a staff for each call of
    {Parallel}, or for each block of {with Parallel(...)}, and shuts it down when joblib
    terminates the backend, its workers with it. That staff is configured as the staff named
    {name}, "joblib" by default, is: a {.pfg} section {joblib:} sets its traits, and {n_jobs}
    sets its {size} as the keyword of a staff built in code does, so a setting of a higher
    priority, e.g. on the command line, beats it. pyre keeps one staff per name for the life of
    the process, and a staff that is shut down takes no more work, so each staff the backend
    builds is named after {name} with a serial number, e.g. "joblib-3", and gets the traits
    configured for {name}, its recruiter's among them. A {Parallel} called from the thread of
    the loop of the staff it runs on, e.g. from a done callback, would wait for itself, and
    raises {WaitInLoop} instead

    With a deadline, joblib hands over one call per batch, so the deadline is that of each call;
    otherwise joblib sizes the batches by how long they take, as it does on its own processes
    """

    # joblib's settings for this backend: every core unless {n_jobs} says otherwise; results
    # come back through the done callbacks of the futures
    default_n_jobs = -1
    uses_threads = False
    supports_sharedmem = False

    # the serial numbers of the staffs built by backends
    serial = itertools.count(1)

    @property
    def supports_retrieve_callback(self):
        """
        Whether joblib may take the results in the done callbacks of the futures: yes for a staff
        whose loop runs in a thread of its own; a staff in its host's loop runs its callbacks
        only while the caller waits on a future, so joblib waits for each result instead
        """
        # a staff not built yet is built in code, so its loop runs in a thread of its own
        staff = self.staff if self.staff is not None else self.given
        return staff is None or staff.runner is not None

    # joblib hands out results as a generator only through the done callbacks, since it queues
    # those that come in the order they finish there; not from a staff in its host's loop
    supports_return_generator = supports_retrieve_callback

    @property
    def supports_timeout(self):
        """
        Whether joblib's {timeout} works: yes, wherever my staff's loop runs
        """
        return True

    # interface
    def effective_n_jobs(self, n_jobs):
        """
        The number of tasks that run at once: the size of my staff, once i have one; before,
        {n_jobs}, with {-1} for every core, {-2} for all but one, ...
        """
        # joblib's rule
        if n_jobs == 0:
            raise ValueError("n_jobs == 0 in Parallel has no meaning")
        # a staff i was given decides, but joblib runs the calls in its own process when told
        # there is one worker, and this staff was chosen for what its workers add, e.g. deadlines
        if self.given is not None:
            return max(self.given.size, 2)
        # a staff of mine has the size its configuration left it
        if self.staff is not None:
            return self.staff.size
        # otherwise, as joblib counts
        return self.resolve(n_jobs=n_jobs)

    def configure(self, n_jobs=1, parallel=None, prefer=None, require=None, **kwds):
        """
        Get ready for the call of {parallel}: find my staff, or build it; returns the number of
        tasks that run at once. The other keywords of {Parallel}, e.g. {max_nbytes}, are about
        joblib's own processes, and ignored: large arrays travel through shared memory anyway
        """
        # save the caller
        self.parallel = parallel
        # the staff i was given
        given = self.given
        if given is not None:
            # a caller in the thread of its loop would wait for itself: the results it waits for
            # arrive through that loop
            runner = given.runner
            if runner is not None and runner.inside():
                raise WaitInLoop(call="Parallel", what="its results", team=str(given))
            # is mine to use
            self.staff = given
        # if i have no staff of my own yet, e.g. after my last call ended
        elif self.staff is None:
            # how many crews: {n_jobs}, as the keyword {size} of a staff built in code, unless
            # configuration of a higher priority, e.g. the command line, says otherwise
            template = self.template()
            size = self.resolve(n_jobs=n_jobs)
            if configured(template, "size", above=Priority.construction):
                size = template.size
            # one worker is no better than the caller's own process, as joblib sees it
            if size == 1:
                raise FallbackToBackend(SequentialBackend(nesting_level=self.nesting_level))
            # build it
            self.staff = self.build(template=template, size=size)
        # tell joblib how many tasks run at once
        return self.effective_n_jobs(n_jobs=n_jobs)

    def submit(self, func, callback=None):
        """
        Hand the batch of calls {func} to my staff; {callback} is called with its future once
        the batch has its outcome, in the thread of the staff's loop
        """
        # queue it, under the name of its functions
        future = self.staff.submit(Batch(calls=func))
        # remember it, so an abort can cancel it, until it has its outcome; a future that has it
        # already forgets itself at once
        with self.guard:
            self.pending.add(future)
        future.add_done_callback(self.settled)
        # and tell joblib when it is done
        if callback is not None:
            future.add_done_callback(callback)
        # hand it over
        return future

    def retrieve_result_callback(self, future):
        """
        The result of the batch of {future}, which is done: the list of the values of its calls,
        or the exception of the first call that raised, as itself
        """
        return future.result()

    def retrieve_result(self, future, timeout=None):
        """
        Wait at most {timeout} seconds for the result of the batch of {future}, for a staff in its
        host's loop, whose loop the wait drives
        """
        # wait
        try:
            return future.result(timeout=timeout)
        # a future that is not done after all that time
        except concurrent.futures.TimeoutError:
            # unless the error is the outcome of its task, e.g. {DeadlineExceeded}
            if future.done():
                raise
            # is reported as joblib reports it for its own processes
            raise Overdue(f"{future.label} is not done after {timeout} s") from None

    def compute_batch_size(self):
        """
        How many calls travel together as one task: one under a deadline, so the deadline is
        that of a call; otherwise as many as joblib finds keep its overhead small
        """
        # look for a deadline
        staff = self.staff
        if staff is not None and staff.policy.deadline:
            return 1
        # otherwise, as joblib sizes them
        return super().compute_batch_size()

    def abort_everything(self, ensure_ready=True):
        """
        A batch failed, or the caller stopped waiting: cancel the batches that are still queued
        or running; the workers of the running ones are killed, and replaced as the work needs.
        Unless joblib will use me again, {ensure_ready}, a staff of mine is shut down at once
        """
        # a staff of mine that will not be used again takes no more work, so killing its
        # workers does not recruit others
        staff = self.staff
        if staff is not None and staff is not self.given and not ensure_ready:
            staff.shutdown(wait=False, cancel_futures=True)
        # cancel what is left
        self.withdraw()
        # all done
        return

    def get_nested_backend(self):
        """
        The backend of a {Parallel} call inside a task: sequential. The task runs in a worker,
        one of as many as the staff was sized to keep busy, so processes or threads of its own
        would compete with the other workers for the same cores; and the worker cannot hand
        work to its staff, whose loop lives in the caller's process
        """
        return SequentialBackend(nesting_level=(self.nesting_level or 0) + 1), None

    def terminate(self):
        """
        The call of joblib is over: cancel what it left, and shut a staff of mine down, waiting
        for its workers to leave; a staff i was given is left running
        """
        # whatever is left, e.g. after an error, nobody will look at
        self.withdraw()
        # let go of my staff
        staff, self.staff = self.staff, None
        # and shut it down, if it is mine
        if staff is not None and staff is not self.given:
            staff.shutdown(wait=True, cancel_futures=True)
        # the batch sizes learned are for this call
        self.reset_batch_stats()
        # all done
        return

    # meta-methods
    def __init__(self, staff=None, name="joblib", nesting_level=None, inner_max_num_threads=None):
        # chain up
        super().__init__(nesting_level=nesting_level, inner_max_num_threads=inner_max_num_threads)
        # check the staff i am given
        if staff is not None and not isinstance(staff, foundry()):
            raise ArgumentError(
                call="the pyre_nexus backend of joblib", argument="staff", value=staff,
                accepted="a pyre_nexus staff, e.g. pyre_nexus.staff()(name='crunchers')",
            )
        # and the name
        if not isinstance(name, str) or not name:
            raise ArgumentError(
                call="the pyre_nexus backend of joblib", argument="name", value=name,
                accepted="the name of the staff to build, whose configuration it gets",
            )
        # save them
        self.given = staff
        self.name = name
        # the staff of the running call
        self.staff = None
        # the futures that have no outcome yet; they settle in the thread of the staff's loop
        self.guard = threading.Lock()
        self.pending = set()
        # all done
        return

    # implementation details
    def resolve(self, n_jobs):
        """
        The number of workers {n_jobs} asks for, as joblib counts: {None} for one, {-1} for
        every core, {-2} for all but one, ...
        """
        # nothing said
        if n_jobs is None:
            return 1
        # counted from the number of cores
        if n_jobs < 0:
            return max(cpu_count() + 1 + n_jobs, 1)
        # as said
        return n_jobs

    def template(self):
        """
        The staff named after me, whose configuration my staffs get: an existing one, or one
        built now that never takes work
        """
        # pyre hands back the one of this name, if there is one
        return foundry()(name=self.name)

    def build(self, template, size):
        """
        Build a staff of {size} crews, unless the configuration of {template} says otherwise,
        with the traits configured for {template}
        """
        # a name of its own, since a staff that is shut down takes no more work
        name = f"{self.name}-{next(self.serial)}"
        # the traits of the template that its configuration or its builder set; its size was
        # weighed against the caller's already, and its event loop, set by the staff itself at
        # package priority, is its own, unless its configuration gave it the host's
        traits = settings(component=template, skip={"recruiter", "size", "dispatcher"})
        traits["size"] = size
        if configured(template, "dispatcher", above=Priority.package):
            traits["dispatcher"] = template.dispatcher
        # and a recruiter of its own, with the settings of the template's, since a recruiter
        # keeps things for the team it recruits for
        recruiter = template.recruiter
        traits["recruiter"] = type(recruiter)(name=f"{name}.recruiter", **settings(component=recruiter))
        # build the staff
        return foundry()(name=name, **traits)

    def withdraw(self):
        """
        Cancel the batches that have no outcome yet, all at once in the thread of the staff's loop
        """
        # take them
        with self.guard:
            futures, self.pending = self.pending, set()
        # and cancel them, through their team
        if futures:
            team = next(iter(futures)).team
            team.inLoop(functools.partial(cancel, futures))
        # all done
        return

    def settled(self, future):
        """
        {future} has its outcome: forget it
        """
        with self.guard:
            self.pending.discard(future)
        # all done
        return


# the batches, as tasks
class Batch:
    """
    The batch of calls {calls} that joblib hands over, named after their functions, so an error
    names them, e.g. "task 7 (3 calls of square)"
    """

    # meta-methods
    def __init__(self, calls):
        # save
        self.calls = calls
        # the staff names its tasks after this
        self.__qualname__ = describe(calls)
        # all done
        return

    def __call__(self):
        # run the calls, with joblib's settings for the calls inside them
        return self.calls()


# helpers
def describe(calls):
    """
    Name the batch {calls} after its functions
    """
    # the functions, each once, in order
    names = list(
        dict.fromkeys(
            getattr(function, "__qualname__", None) or type(function).__qualname__
            for function, *_ in getattr(calls, "items", ())
        )
    )
    # a batch that does not say what it holds
    if not names:
        return type(calls).__qualname__
    # one call
    count = len(calls.items)
    if count == 1:
        return names[0]
    # more
    return f"{count} calls of {', '.join(names)}"


def configured(component, name, above=Priority.defaults):
    """
    Whether the trait {name} of {component} was set with a priority higher than {above}: by
    default, by anything but its default, e.g. a {.pfg} file, the command line or its builder
    """
    priority = component.pyre_inventory.getTraitPriority(component.pyre_trait(alias=name))
    return priority is not None and priority.category > above.category


def settings(component, skip=()):
    """
    The values of the traits of {component} that its configuration or its builder set, except
    those named in {skip}
    """
    return {
        trait.name: getattr(component, trait.name)
        for trait in component.pyre_configurables()
        if trait.name not in skip and configured(component, trait.name)
    }


# end of file
