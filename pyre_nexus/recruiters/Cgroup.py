# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import functools
import itertools
import os
import re
import time

# my parts
from .Supervisor import Supervisor
from ..exceptions import complain, configured


# declaration
class Cgroup:
    """
    A control group, in each of the cgroup hierarchies of this host that give it a role: the
    group of the crews of a team, made by {team}, or the group of one of its crews, made by
    {crew}, which holds the worker and every process its tasks start, wherever they move

    The roles: 'kill', which ends every process of a crew, through cgroup.kill on cgroup2, or
    else by signalling its members until no new one shows up; 'memory', which limits the
    resident memory of a crew, swap included, and has the kernel's out of memory killer end it
    when it needs more; 'pids', which limits the processes and threads of a crew. What the host
    has comes from /proc/self/cgroup and /proc/self/mountinfo, and the groups it lets this
    process make: a cgroup2 hierarchy gives the kill, and memory and pids if those controllers
    can be enabled for the crews; the v1 hierarchies of the memory and pids controllers give
    what cgroup2 does not. A team's group goes under the cgroup of this process, except on a
    cgroup2 hierarchy whose controllers the crews need: there a group that holds a process
    cannot hand controllers to its children, so the team's group goes beside it, under its
    parent. Groups are named after the pid namespace and the pid of the team's process, so a
    team finds and removes the empty ones left by a team that died without removing them

    The local recruiters, fork and spawn, get the group of a team's crews from {of}, which keeps
    it in their {groups} and has their {overrun} look for crews that ran into its pids limit,
    and remove it with {disperse}
    """

    # how long, in seconds, {dissolve} waits at most for the processes of a group to die
    patience = 1.0
    # how often, in seconds, a team looks for crews that ran into their pids limit: the v1
    # pids controller tells nobody when it refuses a fork
    interval = 0.1

    # the roles a crew's group can have, in the order to show them
    roles = ("memory", "pids", "kill")

    # interface
    @classmethod
    def team(cls, memory=0, pids=0, mounts="/proc/self/mountinfo", groups="/proc/self/cgroup"):
        """
        Make the group of a team whose crews get {memory} bytes of resident memory and {pids}
        processes, where the limits are not 0; the host is described by the {mounts} and
        {groups} files of this process. The group may lack roles, and have none at all where
        the host has no cgroup this process may make; {reasons} says why
        """
        # the group
        group = cls(parent=None, name=f"nexus-{cls.namespace()}-{os.getpid()}-{next(cls.serial)}")
        group.memory, group.pids = memory, pids
        # the hierarchies of the host, and the cgroup of this process in each
        hierarchies = cls.survey(mounts=mounts, groups=groups)
        # where the groups of teams go, which may hold what dead teams left
        for hierarchy in hierarchies:
            if not hierarchy["readonly"]:
                here = hierarchy["path"]
                group.sweep(here)
                if here != hierarchy["mount"]:
                    group.sweep(os.path.dirname(here))
        # cgroup2 first, since it can do all
        unified = next((hierarchy for hierarchy in hierarchies if hierarchy["version"] == 2), None)
        if unified is None:
            group.reasons.append(("kill", "no cgroup2 hierarchy"))
        else:
            group.unify(hierarchy=unified)
        # the v1 controllers, for the limits cgroup2 does not hold
        for role, limit in (("memory", memory), ("pids", pids)):
            if limit and role not in group.places:
                place = group.legacy(hierarchies=hierarchies, controller=role)
                if place is not None:
                    group.places[role] = place
        # without cgroup.kill, a hierarchy the group is in already, or else any of those that
        # may serve, holds the processes to signal
        if "kill" not in group.places:
            place = group.places.get("pids") or group.places.get("memory")
            for controller in ("pids", "memory", "freezer"):
                if place is None:
                    place = group.legacy(hierarchies=hierarchies, controller=controller, quiet=True)
            if place is not None:
                group.places["kill"] = place
                group.signalled = True
        # a group with no kill has nothing to offer
        if "kill" not in group.places:
            group.dissolve()
            group.places.clear()
        # the limits it holds
        group.memory = memory if "memory" in group.places else 0
        group.pids = pids if "pids" in group.places else 0
        # all done
        return group

    @staticmethod
    def check(recruiter):
        """
        Generate the complaints about the {cgroups} and {pids} traits of {recruiter}, one of the
        local recruiters, which have them
        """
        # the switch
        if recruiter.cgroups not in ("auto", "off"):
            yield str(complain(recruiter, trait="cgroups", value=recruiter.cgroups, accepted="auto or off"))
        # the limit, which leaves room for the worker's own threads
        pids = configured(recruiter, "pids")
        if not (isinstance(pids, int) and (pids == 0 or pids >= 16)):
            yield str(
                complain(
                    recruiter,
                    trait="pids",
                    value=pids,
                    accepted="a number of processes and threads, at least 16, or 0 for no limit",
                )
            )
        # all done
        return

    @classmethod
    def of(cls, recruiter, team):
        """
        The cgroup of the crews of {team} that {recruiter} recruits, made with the first of
        them: one in no hierarchy, which does nothing, where its {cgroups} are off or this host
        has none it can make
        """
        # if they are off
        if recruiter.cgroups == "off":
            # there is none
            group = cls(parent=None, name="off")
            group.reasons.append(("kill", f"{recruiter.pyre_name}.cgroups is off"))
            return group
        # if it is made already
        if team in recruiter.groups:
            # here it is
            return recruiter.groups[team][0]
        # make it
        group = cls.team(memory=recruiter.memory, pids=recruiter.pids)
        # watch for the crews that run into its pids limit, which the kernel does not announce
        alarm = None
        if group.pids:
            alarm = team.dispatcher.alarm(
                interval=cls.interval, call=functools.partial(recruiter.overrun, team=team)
            )
        # and keep it until the team is done
        recruiter.groups[team] = (group, alarm)
        return group

    @classmethod
    def disperse(cls, recruiter, team):
        """
        {team} is done with {recruiter}: remove the cgroup of its crews, once what is left in
        them is gone
        """
        # if it has one
        group, alarm = recruiter.groups.pop(team, (None, None))
        # stop watching it
        if alarm is not None:
            alarm.cancel()
        # and remove it
        if group is not None:
            group.dissolve(patience=cls.patience)
        # all done
        return

    @classmethod
    def mine(cls, mounts="/proc/self/mountinfo", groups="/proc/self/cgroup"):
        """
        The group of the crew this process is in, as its recruiter made it, for a worker that
        ends its crew, with everything its tasks started; one in no hierarchy, which does
        nothing, if it is in none
        """
        # the group
        group = cls(parent=None, name="mine")
        # the hierarchies where this process is in a crew's group
        for hierarchy in cls.survey(mounts=mounts, groups=groups):
            path = hierarchy["path"]
            if not re.search(r"/nexus-\d+-\d+-\d+/crew-\d+$", path):
                continue
            # cgroup2 kills at once, where it can; the others hold the processes to signal
            if hierarchy["version"] == 2 and os.path.exists(os.path.join(path, "cgroup.kill")):
                group.places["kill"] = (2, path)
                group.signalled = False
                break
            if "kill" not in group.places:
                group.places["kill"] = (1, path)
                group.signalled = True
        # all done
        return group

    def crew(self):
        """
        Make a group for a crew under mine, with my limits
        """
        # the group, in each of my hierarchies
        cell = type(self)(parent=self, name=f"crew-{next(self.numbers)}")
        cell.memory = self.memory if "memory" in self.places else 0
        cell.pids = self.pids if "pids" in self.places else 0
        cell.signalled = self.signalled
        cell.places = {role: (version, os.path.join(path, cell.name)) for role, (version, path) in self.places.items()}
        # carefully
        try:
            # make it
            for path in cell.paths():
                os.mkdir(path)
                cell.made.append(path)
            # and set its limits
            if cell.memory:
                version, path = cell.places["memory"]
                if version == 2:
                    # the resident memory, no swap, and the whole crew goes when it needs more
                    self.write(path, "memory.max", cell.memory)
                    self.write(path, "memory.swap.max", 0, optional=True)
                    self.write(path, "memory.oom.group", 1, optional=True)
                else:
                    # the resident memory, and the same with swap, where the kernel counts it
                    self.write(path, "memory.limit_in_bytes", cell.memory)
                    self.write(path, "memory.memsw.limit_in_bytes", cell.memory, optional=True)
            if cell.pids:
                self.write(cell.places["pids"][1], "pids.max", cell.pids)
        # if anything fails
        except OSError:
            # take it back
            cell.dissolve()
            raise
        # one more of mine
        self.cells.append(cell)
        # all done
        return cell

    def sketch(self):
        """
        What another process, e.g. a fork server, needs to rebuild me with {drawn}: my name, my
        places and my limits, in plain values that pickle
        """
        return dict(
            name=self.name, places=dict(self.places), memory=self.memory, pids=self.pids, signalled=self.signalled
        )

    @classmethod
    def drawn(cls, sketch):
        """
        The group of a crew that another process made, from its {sketch}: it admits and kills
        processes as the original does, but made nothing, so it removes nothing
        """
        # the group
        cell = cls(parent=None, name=sketch["name"])
        # in the same places, with the same limits
        cell.places = dict(sketch["places"])
        cell.memory, cell.pids, cell.signalled = sketch["memory"], sketch["pids"], sketch["signalled"]
        # all done
        return cell

    def admit(self, pid):
        """
        Move the process {pid} into my group, in each of my hierarchies
        """
        for path in self.paths():
            self.write(path, "cgroup.procs", pid)
        # all done
        return

    def kill(self):
        """
        Send SIGKILL to every process in my group; by signals, to all but the caller
        """
        # without the kill, there is nothing to do
        if "kill" not in self.places:
            return
        _, path = self.places["kill"]
        # as the supervisor of a team does: through cgroup.kill, or by signals, sparing me
        Supervisor.purge(cgroup=path, spare={os.getpid()})
        # all done
        return

    def oomed(self):
        """
        Whether the kernel's out of memory killer killed a process of mine, for my memory limit
        """
        # without the limit, it did not
        if not self.memory:
            return False
        # the counter, in the file of my version
        version, path = self.places["memory"]
        return self.count(path, "memory.events" if version == 2 else "memory.oom_control", "oom_kill") > 0

    def refused(self):
        """
        Whether a fork of a process of mine was refused, for my pids limit
        """
        # without the limit, none was
        if not self.pids:
            return False
        # the counter
        return self.count(self.places["pids"][1], "pids.events", "max") > 0

    def dissolve(self, patience=0.0):
        """
        Kill what is left in my group and remove it, with the groups of my crews; wait up to
        {patience} seconds for the processes to die. Returns whether it is all gone; a group
        that is not stays with its team's group, whose {dissolve} tries again
        """
        # the time i have
        deadline = time.monotonic() + patience
        # the crews' groups first
        for cell in list(self.cells):
            cell.dissolve(patience=max(0.0, deadline - time.monotonic()))
        # then mine
        while True:
            # kill what is left
            self.kill()
            # and remove what i made, the deepest first, unless something is still in it
            for path in reversed(list(self.made)):
                try:
                    os.rmdir(path)
                except FileNotFoundError:
                    pass
                # one that still holds a process that is dying, or one that will not die
                except OSError:
                    continue
                self.made.remove(path)
            # if it is all gone
            if not self.made and not self.cells:
                # i am no longer my parent's
                if self.parent is not None and self in self.parent.cells:
                    self.parent.cells.remove(self)
                return True
            # if i am out of time
            if time.monotonic() >= deadline:
                return False
            # the processes i killed take a moment to die
            time.sleep(1e-3)

    def describe(self):
        """
        What my group has, a line for each of my hierarchies, or why it has nothing
        """
        # without anything
        if not self.places:
            return ["not available: " + "; ".join(text for _, text in self.reasons)]
        # the roles in each hierarchy
        spans = {}
        for role in self.roles:
            if role in self.places:
                version, path = self.places[role]
                # a kill without cgroup.kill is by signals
                name = "kill (by signals)" if role == "kill" and self.signalled else role
                spans.setdefault((version, os.path.dirname(path)), []).append(name)
        # the lines
        lines = [f"v{version} {', '.join(names)} at {path}" for (version, path), names in spans.items()]
        # and what is missing
        lines.extend(f"({text})" for text in self.lacks())
        # all done
        return lines

    def reach(self):
        """
        The directory of my group where a kill ends all its processes; {None} without a kill
        """
        return self.places["kill"][1] if "kill" in self.places else None

    def paths(self):
        """
        My directories, one in each of my hierarchies
        """
        return list(dict.fromkeys(path for _, path in self.places.values()))

    def lacks(self):
        """
        The reasons for the roles i do not have, and for a kill by signals
        """
        return [text for role, text in self.reasons if role not in self.places or (role == "kill" and self.signalled)]

    # meta-methods
    def __init__(self, parent, name):
        # my team's group, if i am a crew's
        self.parent = parent
        # my name, in every hierarchy
        self.name = name
        # the version and the directory of my hierarchy for each of my roles
        self.places = {}
        # the directories i made, the groups of my crews that are still around
        self.made = []
        self.cells = []
        # the numbers of the groups of my crews
        self.numbers = itertools.count(1)
        # the limits of my crews, and whether my kill is by signals, for want of cgroup.kill
        self.memory = 0
        self.pids = 0
        self.signalled = False
        # why i lack roles: pairs of the role and the reason
        self.reasons = []
        # all done
        return

    def __str__(self):
        return f"cgroup {self.name}"

    # implementation details
    # the serial numbers of groups, unique in this process
    serial = itertools.count(1)

    def unify(self, hierarchy):
        """
        Take the kill, and the controllers my crews need, from the cgroup2 {hierarchy}
        """
        # the cgroup of this process, and the controllers it may have
        here = hierarchy["path"]
        where = f"cgroup2 at {hierarchy['mount']}"
        try:
            controllers = self.read(here, "cgroup.controllers").split()
        except OSError as error:
            self.reasons.append(("kill", f"{where}: cannot read {here}: {error.strerror}"))
            return
        wanted = [role for role, limit in (("memory", self.memory), ("pids", self.pids)) if limit]
        available = [role for role in wanted if role in controllers]
        # a cgroup that holds processes cannot give its children controllers, so the team's
        # group goes beside mine, where the parent already gives them, unless mine is the top
        # of the hierarchy, which can
        base = os.path.dirname(here) if available and here != hierarchy["mount"] else here
        # a read only hierarchy has nothing for me
        if hierarchy["readonly"]:
            self.reasons.append(("kill", f"{where} is read only"))
            return
        # at the top, the controllers may need enabling for the team's group
        if available and base == here:
            try:
                enabled = self.read(base, "cgroup.subtree_control").split()
                self.enable(base, [role for role in available if role not in enabled])
            except OSError as error:
                self.reasons.extend((role, f"{role} not enabled in {base}: {error.strerror}") for role in available)
                available = []
        # make my group
        path = os.path.join(base, self.name)
        try:
            os.mkdir(path)
        except OSError as error:
            self.reasons.append(("kill", f"{where}: cannot make a cgroup in {base}: {error.strerror}"))
            return
        self.made.append(path)
        # and hand the controllers to my crews
        try:
            self.enable(path, available)
        except OSError as error:
            self.reasons.extend((role, f"{role} not enabled in {path}: {error.strerror}") for role in available)
            available = []
        # what i have
        for role in available:
            self.places[role] = (2, path)
        if os.path.exists(os.path.join(path, "cgroup.kill")):
            self.places["kill"] = (2, path)
        else:
            self.reasons.append(("kill", f"no cgroup.kill in {where}, which needs Linux 5.14"))
        # what i lack
        for role in wanted:
            if role not in available and role not in controllers:
                self.reasons.append((role, f"no {role} controller in {where}"))
        # a group that gives nothing is not kept
        if not self.places:
            os.rmdir(path)
            self.made.remove(path)
        # all done
        return

    def legacy(self, hierarchies, controller, quiet=False):
        """
        Make my group in the v1 hierarchy of {controller}; returns its place, or {None}, with
        the reason, unless {quiet}
        """
        # the hierarchy, unless it is read only
        hierarchy = next((h for h in hierarchies if h["version"] == 1 and controller in h["controllers"]), None)
        if hierarchy is None:
            reason = f"no v1 {controller} controller"
        elif hierarchy["readonly"]:
            reason = f"{hierarchy['mount']} is read only"
        # my group, under the cgroup of this process
        else:
            path = os.path.join(hierarchy["path"], self.name)
            try:
                os.mkdir(path)
            except OSError as error:
                reason = f"cannot make a cgroup in {hierarchy['path']}: {error.strerror}"
            else:
                self.made.append(path)
                return (1, path)
        # what went wrong
        if not quiet:
            self.reasons.append((controller, reason))
        return None

    def sweep(self, base):
        """
        Remove the empty groups under {base} of teams of my pid namespace whose process is gone
        """
        # mine
        pattern = re.compile(rf"nexus-{self.namespace()}-(\d+)-\d+")
        # what is there, if i may look
        try:
            names = os.listdir(base)
        except OSError:
            return
        # go through it
        for name in names:
            match = pattern.fullmatch(name)
            if match is None or self.alive(int(match.group(1))):
                continue
            # the crews' groups first
            path = os.path.join(base, name)
            try:
                for entry in os.scandir(path):
                    if entry.is_dir(follow_symlinks=False):
                        os.rmdir(entry.path)
                os.rmdir(path)
            # one that is not empty, or gone already, stays as it is
            except OSError:
                pass
        # all done
        return

    @classmethod
    def survey(cls, mounts, groups):
        """
        The cgroup hierarchies in the {mounts} of this process, with the cgroup {groups} puts it
        in: a list of {version, controllers, mount, path, readonly}, where {path} is the
        directory of the cgroup of this process
        """
        # the cgroup of this process in each hierarchy: "id:controllers:path", where the
        # controllers of cgroup2 are empty
        memberships = []
        with open(groups) as stream:
            for line in stream:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                memberships.append((set(controllers.split(",")) - {""}, path))
        # the mounts: "id parent dev root mountpoint options [optional...] - type source super"
        hierarchies = []
        with open(mounts) as stream:
            for line in stream:
                fields = line.split()
                if "-" not in fields[6:-3]:
                    continue
                tail = fields.index("-", 6)
                kind, options = fields[tail + 1], fields[tail + 3].split(",")
                if kind not in ("cgroup", "cgroup2"):
                    continue
                root, mount = cls.unescape(fields[3]), cls.unescape(fields[4])
                version = 2 if kind == "cgroup2" else 1
                controllers = set() if version == 2 else set(options)
                # the cgroup of this process there: cgroup2's, or the one of the same controllers
                path = next(
                    (
                        path
                        for names, path in memberships
                        if (version == 2 and not names) or (version == 1 and names and names <= controllers)
                    ),
                    None,
                )
                # which must be visible in this mount
                if path is None or not (path + "/").startswith(root.rstrip("/") + "/"):
                    continue
                relative = path[len(root.rstrip("/")) :].strip("/")
                hierarchies.append(
                    dict(
                        version=version,
                        controllers=controllers,
                        mount=mount,
                        path=os.path.join(mount, relative) if relative else mount,
                        readonly="ro" in fields[5].split(","),
                    )
                )
        # all done
        return hierarchies

    @staticmethod
    def unescape(field):
        """
        Undo the octal escapes of spaces and the like in a field of mountinfo
        """
        return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)

    @staticmethod
    def namespace():
        """
        The pid namespace of this process, by its inode
        """
        try:
            return os.stat("/proc/self/ns/pid").st_ino
        except OSError:
            return 0

    @staticmethod
    def alive(pid):
        """
        Whether there is a process {pid}
        """
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    @classmethod
    def enable(cls, path, controllers):
        """
        Enable {controllers} for the children of the group at {path}
        """
        if controllers:
            cls.write(path, "cgroup.subtree_control", " ".join(f"+{name}" for name in controllers))
        # all done
        return

    @staticmethod
    def members(path):
        """
        The processes in the group at {path}; none if it is gone
        """
        try:
            with open(os.path.join(path, "cgroup.procs")) as stream:
                return [int(line) for line in stream if line.strip()]
        except FileNotFoundError:
            return []

    @staticmethod
    def read(path, name):
        """
        The contents of the file {name} of the group at {path}
        """
        with open(os.path.join(path, name)) as stream:
            return stream.read()

    @classmethod
    def count(cls, path, name, key):
        """
        The value of {key} in the flat keyed file {name} of the group at {path}; 0 if missing
        """
        try:
            text = cls.read(path, name)
        except FileNotFoundError:
            return 0
        for line in text.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == key:
                return int(words[1])
        return 0

    @staticmethod
    def write(path, name, value, optional=False):
        """
        Write {value} to the file {name} of the group at {path}; an {optional} file may be
        missing, where the kernel does not keep what it controls, e.g. swap
        """
        try:
            fd = os.open(os.path.join(path, name), os.O_WRONLY)
        except FileNotFoundError:
            if optional:
                return
            raise
        try:
            os.write(fd, str(value).encode())
        finally:
            os.close(fd)
        # all done
        return


# end of file
