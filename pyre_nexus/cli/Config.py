# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the framework
import pyre

# my superclass
from .Command import Command


# declaration
class Config(Command, family="pyre_nexus.cli.config"):
    """
    Show the configuration a team and its recruiter get, as the application that owns the
    team builds them: every trait, its value, and where the value came from

    Name the application, e.g. 'nexus config nexus-demo', or its configuration file, e.g.
    'nexus config path/to/app.pfg', or the team, e.g. 'nexus config --team=nexus-demo.team'.
    The files pyre reads for the application are read, from the packages, the user's folder
    and the current folder, then the files named; the team is '<application>.team' unless
    --team names another. Settings on this command line count as they do on the
    application's: 'nexus config nexus-demo --nexus-demo.team.size=4'

    A team the application could not build is not shown; what is wrong is, as the application
    would say it: a bad value, with what is accepted, or a setting under the team or its
    recruiter that names none of their traits, e.g. a misspelled one, with the file and line or
    the argument that made it, and the traits it may mean
    """

    # the words that follow {nexus config}
    synopsis = "[APPLICATION | FILE.pfg ...] [--team=NAME]"

    # user configurable state
    team = pyre.properties.str(default="")
    team.doc = "the name of the team, e.g. 'nexus-demo.team'; by default, '<application>.team'"

    # interface
    @pyre.export
    def main(self, plexus, argv, **kwds):
        """
        Show the configuration of the team and of its recruiter
        """
        # take the words of my command line
        words = list(argv)
        argv.clear()
        # load the configuration
        try:
            name = self.configure(words=words, team=self.team or "")
        except ValueError as error:
            return self.fail(str(error))
        # build the team
        try:
            team, chosen = self.build(name=name)
        except Exception as error:
            return self.fail(f"cannot build the team '{name}': {error}")
        # show it
        print(f"team {name}: {team.pyre_family()}, {self.source(chosen)}")
        for line in self.table(component=team):
            print(line)
        # and its recruiter
        try:
            recruiter = team.recruiter
        except Exception as error:
            return self.fail(f"cannot build the recruiter of '{name}': {error}")
        chosen = self.origin(component=team, trait="recruiter")
        print()
        print(f"recruiter {recruiter.pyre_name}: {recruiter.pyre_family()}, {self.source(chosen)}")
        for line in self.table(component=recruiter):
            print(line)
        # all done
        return 0

    # implementation details
    def table(self, component):
        """
        Generate the lines of a table of the traits of {component}: name, value, origin
        """
        # the rows
        rows = [("trait", "value", "from")]
        for trait in component.pyre_configurables():
            # where the value came from, before reading it builds what it names
            origin = self.origin(component=component, trait=trait.name)
            # the value, carefully, since reading it is when pyre checks it
            try:
                value = self.render(getattr(component, trait.name))
            except Exception as error:
                value = f"error: {error}"
            # add it to the pile
            rows.append((trait.name, value, origin))
        # line them up
        name = max(len(row[0]) for row in rows)
        value = max(len(row[1]) for row in rows)
        for row in rows:
            yield f"  {row[0]:<{name}}  {row[1]:<{value}}  {row[2]}".rstrip()
        # all done
        return

    @staticmethod
    def source(origin):
        """
        Say where a choice came from, in a sentence
        """
        return "by default" if origin == "default" else f"from {origin}"

    @staticmethod
    def render(value):
        """
        Show a trait value the way it would be written in a configuration file
        """
        # components by their family, or their name
        if isinstance(value, pyre.component):
            return value.pyre_family() or value.pyre_name or type(value).__name__
        # lists as lists
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(Config.render(item) for item in value) + "]"
        # nothing as nothing
        if value is None:
            return "none"
        # empty strings so they show
        if isinstance(value, str) and not value:
            return '""'
        # addresses as host:port
        if hasattr(value, "host") and hasattr(value, "port"):
            return f"{value.host}:{value.port}"
        # everything else as itself
        return str(value)


# end of file
