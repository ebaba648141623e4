# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import pathlib
import sys

# the framework
import pyre

# my protocol
from .Action import Action
# my parts
from ..exceptions import Misconfigured


# declaration
class Command(pyre.command(), implements=Action):
    """
    The base of the actions of {nexus}: each does its work in {main}, with the words of the
    command line that follow its name; options are traits, set as --name=value
    """

    # the words that follow {nexus <action>} on a command line, for the help screen
    synopsis = ""
    # the traits my actions inherit from pyre but do not use, kept off the help screen
    unused = ("dry",)
    # the encodings of configuration files, which tell a file from an application name
    encodings = (".pfg", ".cfg", ".pml", ".yaml")

    # obligations
    @pyre.export
    def main(self, plexus, argv, **kwds):
        """
        Carry out the action
        """
        raise NotImplementedError(f"class '{type(self).__name__}' must implement 'main'")

    # services for my actions
    def fail(self, message):
        """
        Explain on stderr why the action failed; returns the exit status
        """
        # say it
        print(f"nexus {self.pyre_spec}: {message}", file=sys.stderr, flush=True)
        # and give the status
        return 1

    def configure(self, words, team=""):
        """
        Load the configuration that {words}, the application names and configuration files of
        the command line, point to, the way the application reads it; returns the name of the
        team to build: {team}, if given, else the facility 'team' of the application

        The application is the one named, else the first fragment of {team}, else the one a
        file is named after: 'path/to/app.pfg' configures 'app'. Its configuration is what
        pyre_nexus ships for it, if it is one of its own applications, then what pyre reads
        when the application is built: '<app>.pfg' in the packages, the user's folder and the
        current folder, and the files for this platform, host and user; then the files named,
        last, as if they were the application's file in the current folder. The command line
        of {nexus} beats them all, as it beats them for the application
        """
        # split the words
        files = [word for word in words if self.isFile(word)]
        names = [word for word in words if not self.isFile(word)]
        # there is one application
        if len(names) > 1:
            raise ValueError(f"one application at a time, not {', '.join(names)}")
        # which is
        if names:
            application = names[0]
        elif team:
            application = team.split(".")[0]
        elif files:
            application = pathlib.Path(files[0]).name.split(".")[0]
        else:
            raise ValueError("name an application, a configuration file, or a team with --team")
        # the files must be there
        for path in files:
            if not pathlib.Path(path).is_file():
                raise ValueError(f"no configuration file {path!r}")
        # the executive does the loading
        executive = self.pyre_executive
        package = executive.priority.package
        # what pyre_nexus ships for its own applications, which they load before they are built
        shipped = pathlib.Path(__file__).parent.parent / "apps" / f"{application}.pfg"
        if shipped.is_file():
            executive.loadConfiguration(uri=str(shipped), priority=package)
        # what pyre reads when the application is built
        executive.configure(
            namespace=application,
            locator=pyre.tracking.simple(f"while configuring application '{application}'"),
        )
        # and the files named, in order
        for path in files:
            # noting what goes wrong
            before = len(executive.errors)
            try:
                executive.loadConfiguration(uri=path, priority=package)
            # pyre's parsers may fail in ways of their own on a broken file
            except Exception as error:
                raise ValueError(f"cannot read {path}: {type(error).__name__}: {error}") from error
            # the errors it collected, for a file that is there, are about its contents
            if len(executive.errors) > before:
                raise ValueError(f"cannot read {path}: {executive.errors[-1]}")
        # all done
        return team or f"{application}.team"

    def build(self, name):
        """
        Build the team {name} as the application that owns it does; returns the team and where
        the setting that chose its kind came from

        A team named 'app.team' is the facility 'team' of the application 'app': its kind is the
        value of the setting 'app.team', a staff by default, and its traits are the settings
        under 'app.team'. A name without a dot is a staff built under that name, as code does
        """
        # split the name into the owner and the facility
        owner, _, facility = name.rpartition(".")
        # a configuration error says itself as it is raised; i say it, so it need not
        channel = Misconfigured.channel
        said, channel.active = channel.active, False
        try:
            # a team of its own
            if not owner:
                # is a staff
                from ..teams import staff

                return staff()(name=name), "default"
            # otherwise, make a stand-in for the owner, with a team facility by that name
            from ..teams import team

            stand = type("Owner", (pyre.component,), {facility: team()})(name=owner)
            # note where its value comes from
            origin = self.origin(component=stand, trait=facility)
            # and read it, which is when pyre builds the team
            return getattr(stand, facility), origin
        # either way, the channel speaks again
        finally:
            channel.active = said

    def origin(self, component, trait):
        """
        Say where the value of {trait} of {component} came from: the file and line, the
        command line argument, or the default of the trait
        """
        # ask pyre
        locator = pyre.where(component, trait)
        priority = component.pyre_inventory.getTraitPriority(component.pyre_trait(alias=trait))
        # a default is a default, whatever its locator says, which is where the component was
        # built; so is a value seeded there, e.g. by the default of a facility
        if priority.name == "defaults" or str(locator) == str(pyre.where(component)):
            return "default"
        # a file
        if hasattr(locator, "source") and hasattr(locator, "line"):
            return f"{self.path(locator.source)}:{locator.line}"
        # the command line
        if hasattr(locator, "arg"):
            return f"command line {locator.arg}"
        # anything else, as pyre says it
        return str(locator)

    def path(self, source):
        """
        The file behind the {source} of a locator: the files pyre finds on its search path have
        virtual names, e.g. 'vfs:/__pyre/startup/app.pfg' for 'app.pfg' in the current folder
        """
        # the name
        text = str(source)
        # a virtual one
        if text.startswith("vfs:"):
            # ask the file server for the real one
            try:
                return str(self.pyre_executive.fileserver[text.removeprefix("vfs:")].uri)
            except Exception:
                return text
        # everything else is a file name already
        return text.removeprefix("file:")

    def handover(self, plexus):
        """
        Hand this process over to another application: it becomes the one pyre knows, so it
        is built without a complaint about a second application
        """
        # let go of {plexus}
        plexus.pyre_executive.dashboard.pyre_application = None
        # all done
        return

    @classmethod
    def isFile(cls, word):
        """
        Whether {word} of a command line names a configuration file, rather than an application
        """
        return "/" in word or pathlib.Path(word).suffix in cls.encodings

    # the help screen
    def pyre_help(self, plexus, indent=" " * 2, **kwds):
        """
        My help screen: my command line, what i do, and my options
        """
        # my command line
        yield f"{plexus.pyre_namespace} {self.pyre_spec} {self.synopsis}".rstrip()
        # what i do
        yield from self.pyre_showSummary(indent=indent, **kwds)
        # my options
        yield from self.options(configurables=self.pyre_configurables(), indent=indent)
        # all done
        return

    def options(self, configurables, indent):
        """
        Describe the traits in {configurables} as options
        """
        # the ones with documentation that my actions use
        public = [
            (f"--{trait.name}", trait.typename, trait.tip or trait.doc)
            for trait in configurables
            if trait.name and (trait.tip or trait.doc) and trait.name not in self.unused
        ]
        # if there are none
        if not public:
            # there is nothing to show
            return
        # otherwise, line them up
        width = max(len(tag) for tag, _, _ in public)
        yield ""
        yield "options:"
        for tag, schema, tip in public:
            yield f"{indent}{tag:>{width}}: {tip} [{schema}]"
        yield ""
        # all done
        return


# end of file
