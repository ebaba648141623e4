# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# my parts
from . import exceptions


# declaration
class Unclaimed:
    """
    The settings under the configuration of a team or a recruiter that name none of its traits,
    e.g. a misspelled one: pyre files every setting under its key in its name server, whether a
    trait claims it or not, and binds a component's traits to the children of its key that
    carry their names, so a setting no trait claims is left where it is and never read

    A component has two such keys: its instance name, e.g. 'app.team', and its family, e.g.
    'pyre_nexus.teams.staff', where class-wide defaults live. A child that names a trait may
    have children of its own, e.g. the traits of the recruiter under 'app.team.recruiter',
    which are the business of what the trait holds
    """

    # interface
    @classmethod
    def check(cls, component):
        """
        Generate a complaint about each setting under the configuration of {component} that
        names none of its traits, as text, the way {pyre_configured} yields them
        """
        for key, name, origin in cls.find(component=component):
            yield str(exceptions.unclaimed(component, key=key, name=name, origin=origin))
        # all done
        return

    @classmethod
    def find(cls, component):
        """
        Generate the settings under the configuration of {component} that name none of its
        traits, as (key, name, origin): the full key of the setting, the fragment of it that
        is not a trait, and where it was made
        """
        # the name server, which holds the settings
        nameserver = component.pyre_nameserver
        # the names of its traits, with their aliases, which settings may use as well
        names = {alias for trait in component.pyre_configurables() for alias in trait.aliases}
        # its instance key and its family key; an anonymous component, or a class without a
        # family, has none
        for scope in (component.pyre_key, type(component).pyre_inventory.key):
            if scope is None:
                continue
            # the children of the key, which is a hash of the fragments of names
            for name, child in scope.nodes.items():
                # a trait claims its own
                if name in names:
                    continue
                # anything else is unclaimed, with what is below it
                for info in cls.settings(nameserver=nameserver, key=child):
                    yield info.name, name, cls.origin(component=component, locator=info.locator)
        # all done
        return

    # implementation details
    @classmethod
    def settings(cls, nameserver, key):
        """
        Generate the metadata of the settings at {key} and below it
        """
        # the one at {key}, if there is one: a name that was only looked up, e.g. in an
        # expression, has a place in the hash, or a node that says where nothing was set
        try:
            info = nameserver.getInfo(key)
        except KeyError:
            info = None
        # is a setting if it was made somewhere, and is not the slot of a trait, e.g. of a
        # recruiter of another kind that had the same name before: pyre makes the slot of a
        # setting no trait claims with a factory of its own, named after the whole key
        if info is not None and info.locator is not None:
            if info.factory.trait.name != nameserver.split(info.name)[-1]:
                yield info
        # and the ones below it
        for child in key.nodes.values():
            yield from cls.settings(nameserver=nameserver, key=child)
        # all done
        return

    @staticmethod
    def origin(component, locator):
        """
        Say where the setting that {locator} points to was made: the file and line, or the
        command line argument
        """
        # a file
        if hasattr(locator, "source") and hasattr(locator, "line"):
            source = str(locator.source)
            # those pyre finds on its search path have virtual names, e.g.
            # 'vfs:/__pyre/startup/app.pfg' for 'app.pfg' in the current folder
            if source.startswith("vfs:"):
                # which the file server maps to real ones, as long as it knows them
                try:
                    source = str(component.pyre_executive.fileserver[source.removeprefix("vfs:")].uri)
                except Exception:
                    return f"at {source}:{locator.line}"
            return f"at {source.removeprefix('file:')}:{locator.line}"
        # the command line
        if hasattr(locator, "arg"):
            return f"on the command line: {locator.arg}"
        # anything else, as pyre says it
        return str(locator)


# end of file
