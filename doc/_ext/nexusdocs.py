# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A Sphinx extension that reads the pages that cannot go stale out of the package itself

- {nexus-traits}: the table of the configurable traits of a component, from the traits' own
  types, defaults and {doc} strings
- {nexus-error}: an exception class of {pyre_nexus.exceptions}, with its docstring, its bases
  and the messages it carries in realistic cases, as the class renders them from the arguments
  in {examples}, followed by what to do about it; the build fails if a class of that module is
  left out of the pages, or has no example
- {nexus-messages}: the reasons the package gives when it fails, read from its source: the
  text of every call that names a reason
- {nexus-complaints}: what every trait that the package checks accepts, read from its source
- {nexus-frames}: the kinds of frame a crew's two sides exchange, read from {Wire}, each with
  the meaning the page gives it; the build fails if a kind is left out or made up
"""

# externals
import ast
import importlib
import inspect
import os
import pathlib
import re
import sys
import traceback

# the documentation tools
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective


# the framework, whose components and protocols keep their methods in behaviors
import journal
from pyre.components.Requirement import Requirement
from pyre.traits.Behavior import Behavior

# the package, and where its sources are
import pyre_nexus
import pyre_nexus.exceptions
from pyre_nexus.teams.Team import Team

source = pathlib.Path(pyre_nexus.__file__).resolve().parent

# my journal
logger = logging.getLogger(__name__)

# where a name in code may break: after a dot, a slash, a double colon or an underscore that
# ends a word, before a letter; so not inside a number, e.g. 0.5*s, nor after the first slash of
# a path or in the dunder of __reduce__
separators = re.compile(r"(?:(?<=\w[./])|(?<=\w::)|(?<=[A-Za-z0-9]_))(?=[A-Za-z])")
# names in braces, as pyre's docstrings write them
braced = re.compile(r"\{([^{}]+)\}")
# what restructured text would read as markup in the rest of a docstring: emphasis in *args,
# references in {name_}, substitutions, interpreted text
markup = re.compile(r"([*`|_\\])")

# defaults that are computed on the machine the package is imported on; the reference shows
# how they are computed, and the build fails if the code computes them some other way
machine = {
    ("pyre_nexus.teams.Foreman", "size"): (os.cpu_count() or 1, "os.cpu_count()"),
    ("pyre_nexus.recruiters.Launcher", "python"): (sys.executable, "the team's interpreter, sys.executable"),
}

# friendlier names of pyre's trait types
kinds = {
    "dimensional": "quantity with units, e.g. 30*s",
    "identity": "object",
    "inet": "address, host:port",
    "list": "list",
    "str": "str",
    "int": "int",
    "bool": "bool",
}

# what each exception of the package says in a realistic case, as the class it is raised as and
# the arguments the package raises it with; the class renders the message, so the page shows
# what a user reads
examples = {
    "NexusError": [
        ("NexusError", dict(description="team crunchers: the event loop ran out of work with a caller waiting")),
    ],
    "RecoverableError": [
        ("RecoverableError", dict(description="the license server lic1:27000 is busy")),
    ],
    "RemoteTraceback": [
        (
            "RemoteTraceback",
            dict(
                text=(
                    "Traceback (most recent call last):\n"
                    '  File "/home/ana/squares.py", line 17, in square\n'
                    "    return n * n\n"
                    "           ~~^~~\n"
                    "TypeError: can't multiply sequence by non-int of type 'str'\n"
                )
            ),
        ),
    ],
    "TaskAborted": [
        ("TaskAborted", dict(kind="SystemExit", message="3")),
        (
            "TaskAborted",
            dict(
                kind="an exception",
                message="that the team could not unpickle: TypeError: QuotaError.__init__() missing 1 "
                "required positional argument: 'limit'",
            ),
        ),
    ],
    "Casualty": [
        ("Casualty", dict(crew="crew 48213@ws1", pid=48213, status=-9, task="task 17 (simulate)")),
        ("Casualty", dict(crew="crew 48213@ws1", pid=48213, status=-9, task="task 17 (simulate)", memory=2**31)),
        (
            "Casualty",
            dict(crew="crew 5120@node7", pid=5120, status=255, task="task 40 (simulate)", link="no heartbeat for 15.2 s"),
        ),
    ],
    "DeadlineExceeded": [
        ("DeadlineExceeded", dict(task="task 3 (simulate)", deadline=30.0, crew="crew 48213@ws1", pid=48213)),
    ],
    "Cancelled": [
        ("Cancelled", dict(reason="cancelled by the caller")),
        ("Cancelled", dict(reason="team crunchers was shut down")),
    ],
    "UnpicklableTask": [
        ("UnpicklableTask", dict(what="task 4 (load)", error="TypeError: cannot pickle '_io.TextIOWrapper' object")),
    ],
    "UnpicklableResult": [
        ("UnpicklableResult", dict(what="the result of the task", error="TypeError: cannot pickle 'generator' object")),
    ],
    "FrameTooLarge": [
        ("FrameTooLarge", dict(what="the report of task 9 (render)", size=104857907, limit=67108864)),
    ],
    "Mishandled": [
        ("Mishandled", dict(what="the report of task 12 (simulate)", error="MemoryError")),
    ],
    "ConfigurationError": [
        ("ConfigurationError", dict(component="crunchers", trait="size", value=-3, accepted="a positive number of crews")),
    ],
    "Misconfigured": [
        (
            "Misconfigured",
            dict(
                configurable="team squares.team",
                errors=[
                    "squares.team.size: bad value -3; expected a positive number of crews",
                    "squares.team.sise: pyre_nexus.teams.staff has no trait 'sise'; did you mean 'size'? "
                    "(set on the command line: --team.sise=3)",
                ],
            ),
        ),
    ],
    "Unresolved": [
        ("Unresolved", dict(protocol=Team, value="stafff")),
    ],
    "ArgumentError": [
        (
            "ArgumentError",
            dict(
                call="Staff.wait",
                argument="timeout",
                value=-1,
                accepted="None or inf to wait without limit, or a number of seconds, 0 or more; 0 looks without waiting",
            ),
        ),
        ("ArgumentError", dict(call="Staff.map", argument="chunksize", value=0, accepted="a positive integer")),
    ],
    "TeamClosed": [
        ("TeamClosed", dict(team="team crunchers")),
    ],
    "CrewGone": [
        ("CrewGone", dict(task="task 31 (load)", crew="crew 48213@ws1")),
    ],
    "WrongThread": [
        ("WrongThread", dict(call="Future.result", team="team crunchers", thread="MainThread")),
    ],
    "WaitInLoop": [
        ("WaitInLoop", dict(call="Future.result", what="task 7 (square)", team="team crunchers")),
    ],
    "InvalidTransition": [
        ("InvalidTransition", dict(crew="crew 48213@ws1", state="lost", target="active")),
    ],
    "RecruitmentError": [
        (
            "RecruitmentError",
            dict(
                recruiter="crunchers.recruiter",
                reason="cannot listen on 10.1.0.5:50000: [Errno 99] Cannot assign requested address; "
                "set 'crunchers.recruiter.address'",
            ),
        ),
        (
            "RecruitmentError",
            dict(
                recruiter="crunchers.recruiter",
                reason="4 attempts in a row failed; the last: crew 48213@ws1 died before it registered: "
                "exited with status 1",
            ),
        ),
    ],
}
# a base class shows what its subclasses say
examples["MarshalingError"] = [*examples["UnpicklableTask"], *examples["UnpicklableResult"]]


# the directives
class Traits(SphinxDirective):
    """
    The configurable traits of a component: {nexus-traits} module.Class
    """

    # one argument: the class
    required_arguments = 1
    # the path of the component in a configuration file, e.g. 'team.recruiter'
    option_spec = {"prefix": directives.unchanged}

    def run(self):
        """
        Build the table
        """
        # find the class
        cls = locate(self.arguments[0])
        prefix = self.options.get("prefix", "")
        # the traits, by the module of the class that declared them
        ours, theirs = [], []
        for trait in cls.pyre_configurables():
            home = declarer(cls=cls, trait=trait)
            (ours if home.startswith("pyre_nexus") else theirs).append((trait, home))
        # the rows of mine
        rows = []
        for trait, home in ours:
            key = f"{prefix}.{trait.name}" if prefix else trait.name
            rows.append(
                [
                    [nodes.literal(text=key)],
                    kind(trait),
                    default(trait=trait, home=home),
                    prose(trait.doc or ""),
                ]
            )
        # a caption: what this is, and how to pick it
        family = cls.pyre_family() if hasattr(cls, "pyre_family") else None
        caption = nodes.paragraph()
        if family:
            caption += [nodes.Text("family "), nodes.literal(text=family), nodes.Text(", ")]
        caption += [nodes.Text("class "), nodes.literal(text=f"{cls.__module__}.{cls.__qualname__}")]
        # the table
        result = [caption, table(header=["trait", "type", "default", "meaning"], rows=rows, widths=[28, 17, 20, 35])]
        # and pyre's own, by name
        if theirs:
            note = nodes.paragraph()
            note += nodes.Text("Inherited from pyre, and documented there: ")
            for index, (trait, home) in enumerate(theirs):
                if index:
                    note += nodes.Text(", ")
                note += nodes.literal(text=trait.name)
                note += nodes.Text(f" ({home})")
            note += nodes.Text(".")
            result.append(note)
        # all done
        return result


class Error(SphinxDirective):
    """
    An exception class of {pyre_nexus.exceptions}; the content says what to do about it
    """

    # one argument: the name of the class
    required_arguments = 1
    # the content: what to do
    has_content = True

    def run(self):
        """
        Describe the class
        """
        # find it
        name = self.arguments[0]
        cls = getattr(pyre_nexus.exceptions, name, None)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise self.error(f"pyre_nexus.exceptions has no exception class {name!r}")
        # note that it is covered
        self.env.nexus_errors = getattr(self.env, "nexus_errors", {})
        self.env.nexus_errors.setdefault(self.env.docname, set()).add(name)
        # its bases
        bases = nodes.paragraph()
        bases += [nodes.Text("class "), nodes.literal(text=f"pyre_nexus.exceptions.{name}"), nodes.Text(", derived from ")]
        for index, base in enumerate(cls.__bases__):
            if index:
                bases += nodes.Text(" and ")
            bases += nodes.literal(text=qualified(base))
        bases += nodes.Text(".")
        # when it happens: the docstring
        result = [bases]
        when = nodes.paragraph()
        when += nodes.strong(text="When: ")
        when += prose(inspect.getdoc(cls) or "")
        result.append(when)
        # what it says, as a traceback ends with it
        if name not in examples:
            raise self.error(f"nexusdocs: no example of {name}; add one to examples in {__file__}")
        lead = nodes.paragraph()
        lead += nodes.strong(text="What it says, for example:")
        result.append(lead)
        for text in map(render_example, examples[name]):
            block = nodes.literal_block(text, text, language="none", classes=["nexus-message"])
            result.append(block)
        # what to do
        if self.content:
            advice = nodes.container()
            lead = nodes.paragraph()
            lead += nodes.strong(text="What to do:")
            advice += lead
            self.state.nested_parse(self.content, self.content_offset, advice)
            result.append(advice)
        # all done
        return result


class Messages(SphinxDirective):
    """
    The reasons the package gives: the text of every call to one of {calls} with a {reason}
    """

    # the names of the calls, e.g. RecruitmentError lost reject
    option_spec = {"calls": directives.unchanged_required, "keyword": directives.unchanged}

    def run(self):
        """
        List them
        """
        # what to look for
        calls = set(self.options["calls"].split())
        keyword = self.options.get("keyword", "reason")
        # go through the sources
        items = nodes.bullet_list()
        for path, line, callee, text in scan(calls=calls, keyword=keyword):
            # note the dependency, so a change of the source rebuilds the page
            self.env.note_dependency(str(path))
            item = nodes.list_item()
            para = nodes.paragraph()
            para += nodes.literal(text=text)
            para += nodes.Text(f" ({callee}, {path.relative_to(source.parent)}:{line})")
            item += para
            items += item
        # all done
        return [items]


class Complaints(SphinxDirective):
    """
    What every checked trait accepts: the calls to {complain} in the sources of the package
    """

    def run(self):
        """
        Tabulate them
        """
        # go through the sources
        rows = []
        for path in sorted(source.rglob("*.py")):
            self.env.note_dependency(str(path))
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and name(node.func) in ("complain", "ConfigurationError")):
                    continue
                kwds = {kw.arg: kw.value for kw in node.keywords}
                if "accepted" not in kwds or not isinstance(kwds.get("trait"), ast.Constant):
                    continue
                rows.append(
                    (
                        path.stem,
                        kwds["trait"].value,
                        render(kwds["accepted"]),
                    )
                )
        # in order, once each
        rows = sorted(set(rows))
        body = [[[nodes.Text(where)], [nodes.literal(text=trait)], [nodes.Text(accepted)]] for where, trait, accepted in rows]
        return [table(header=["checked by", "trait", "accepted"], rows=body, widths=[18, 18, 64])]


class Frames(SphinxDirective):
    """
    The frame kinds of {pyre_nexus.Wire}; each line of the content is 'KIND: meaning'
    """

    # the content: the meanings
    has_content = True

    def run(self):
        """
        Tabulate them
        """
        # the kinds, by code
        from pyre_nexus.Wire import Wire

        self.env.note_dependency(str(source / "Wire.py"))
        codes = {
            key: value
            for key, value in vars(Wire).items()
            if key.isupper() and isinstance(value, int) and key != "SHARED"
        }
        # the meanings
        meanings = {}
        for line in self.content:
            kind, _, meaning = line.partition(":")
            meanings[kind.strip()] = meaning.strip()
        # every kind is described, and nothing else
        missing = sorted(set(codes) - set(meanings))
        extra = sorted(set(meanings) - set(codes))
        if missing or extra:
            raise self.error(f"frames: undescribed {missing}, unknown {extra}")
        # the rows, team to worker first; the codes below 16 go that way
        rows = []
        for kind, code in sorted(codes.items(), key=lambda item: item[1]):
            way = "team → worker" if code < 16 else "worker → team"
            rows.append([[nodes.literal(text=kind)], [nodes.Text(str(code))], [nodes.Text(way)], prose(meanings[kind])])
        # all done
        return [table(header=["frame", "kind", "direction", "what it carries, and what it does"], rows=rows, widths=[12, 8, 16, 64])]


class Breaks(SphinxPostTransform):
    """
    Let the names in inline code break after their separators where they may not fit: in the
    cells of a table, 'team.recruiter.certificate' as 'team.recruiter.' over 'certificate', and
    elsewhere a name so long that it would run past the column. Sphinx keeps each word of inline
    code whole otherwise, so an option such as '--hostfile' never breaks after its dashes
    """

    # the length, in characters, past which a word of inline code breaks outside a table: about
    # half the column of a desktop, most of a phone's
    long = 40

    # after the references are resolved, and only for the pages
    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs):
        """
        Put a break after each separator that a letter follows, in the words that need one
        """
        for literal in list(self.document.findall(nodes.literal)):
            # only plain text, e.g. not the code of a role with markup in it
            if not all(isinstance(child, nodes.Text) for child in literal.children):
                continue
            # in a table, every name may break, since its column is narrow
            cramped = within(literal, nodes.table)
            # the words and the space between them, each in the pieces it may break into
            words = [
                separators.split(word) if cramped or len(word) > self.long else [word]
                for word in re.split(r"(\s+)", literal.astext())
            ]
            if all(len(pieces) < 2 for pieces in words):
                continue
            # the pieces, with a break between those of a word that only html shows and no copy
            # takes
            literal.clear()
            for pieces in words:
                for index, piece in enumerate(pieces):
                    if index:
                        literal += nodes.raw("", "<wbr>", format="html")
                    literal += nodes.Text(piece)
        # all done
        return


# helpers
def locate(path):
    """
    Import the object at the dotted {path}
    """
    module, _, attribute = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise ExtensionError(f"nexusdocs: cannot find {path}: {error}")


def declarer(cls, trait):
    """
    The module of the class nearest {cls} in its ancestry that declares {trait}: the
    declaration in effect
    """
    for base in cls.__mro__:
        if trait.name in (t.name for t in base.__dict__.get("pyre_localTraits", ())):
            return f"{base.__module__}"
    return cls.__module__


def kind(trait):
    """
    The type of {trait}, in words, as nodes
    """
    # a facility: the protocol it takes
    protocol = getattr(trait, "protocol", None)
    if protocol is not None and not getattr(trait, "isProperty", True):
        return [nodes.Text("component ("), nodes.literal(text=protocol.pyre_family()), nodes.Text(")")]
    # a property
    return [nodes.Text(kinds.get(trait.typename, trait.typename))]


def default(trait, home):
    """
    The default of {trait}, declared in {home}, as nodes
    """
    # computed on the machine
    key = (home, trait.name)
    if key in machine:
        value, words = machine[key]
        if trait.default != value:
            raise ExtensionError(f"nexusdocs: the default of {home}.{trait.name} is no longer {words}")
        return [nodes.Text(words)]
    value = trait.default
    # a facility: the component it builds
    if not getattr(trait, "isProperty", True):
        if callable(value) and not isinstance(value, type):
            value = value()
        family = value.pyre_family() if hasattr(value, "pyre_family") else None
        return [nodes.literal(text=family or f"{value.__module__}.{value.__qualname__}")]
    # none
    if value is None:
        return [nodes.Text("none")]
    # sequences, as a configuration file writes them
    if isinstance(value, (list, tuple)):
        return [nodes.literal(text=", ".join(map(str, value)))] if value else [nodes.Text("empty")]
    # empty text
    if isinstance(value, str) and not value:
        return [nodes.Text("empty")]
    # an address without a host
    if trait.typename == "inet" and not getattr(value, "host", True) and not getattr(value, "port", True):
        return [nodes.Text("none")]
    # the rest, as written in a file
    return [nodes.literal(text=str(value))]


def prose(text):
    """
    Turn {text} into nodes, with the names in braces as literals
    """
    # the text, as one paragraph's worth of inline nodes
    result = []
    position = 0
    for match in braced.finditer(text):
        result.append(nodes.Text(text[position : match.start()]))
        result.append(nodes.literal(text=match.group(1)))
        position = match.end()
    result.append(nodes.Text(text[position:]))
    # all done
    return result


def table(header, rows, widths):
    """
    A table with {header} over {rows}, each a list of cells, each a list of inline nodes; its
    columns are {widths} apart, in proportion, so that the table fits the column of the page
    """
    # the frame, with the widths of its columns given, which the style of the pages holds to
    frame = nodes.table(classes=["colwidths-given", "nexus-table"])
    group = nodes.tgroup(cols=len(header))
    frame += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    # a row
    def row(cells):
        line = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para += cell
            entry += para
            line += entry
        return line

    # the header
    head = nodes.thead()
    head += row([[nodes.Text(title)] for title in header])
    group += head
    # the body
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += body
    # all done
    return frame


def name(node):
    """
    The name a call goes by: {f} for {f(...)} and {a.b.f(...)}
    """
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def render(node):
    """
    The text of a string expression, with its fields as {placeholders}
    """
    # a plain string
    if isinstance(node, ast.Constant):
        return str(node.value)
    # an f-string
    if isinstance(node, ast.JoinedStr):
        pieces = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                pieces.append(str(value.value))
            else:
                conversion = "" if value.conversion == -1 else f"!{chr(value.conversion)}"
                pieces.append("{" + ast.unparse(value.value) + conversion + "}")
        return "".join(pieces)
    # anything else, as written
    return "{" + ast.unparse(node) + "}"


def scan(calls, keyword):
    """
    Find the calls to {calls} in the package that pass {keyword} a string; generate the file,
    line, callee and text of each, in source order
    """
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and name(node.func) in calls:
                for kw in node.keywords:
                    if kw.arg == keyword and isinstance(kw.value, (ast.Constant, ast.JoinedStr)):
                        found.append((node.lineno, name(node.func), render(kw.value)))
        for line, callee, text in sorted(found):
            yield path, line, callee, text
    # all done
    return


def within(node, kind):
    """
    Whether {node} is inside a node of {kind}
    """
    parent = node.parent
    while parent is not None:
        if isinstance(parent, kind):
            return True
        parent = parent.parent
    return False


def render_example(example):
    """
    The last lines of a traceback of the exception in {example}: its class, by name, and the
    arguments to raise it with
    """
    name, arguments = example
    cls = getattr(pyre_nexus.exceptions, name)
    # building it says nothing: an error that reports itself to the journal as it is raised
    # must not report while the pages are built
    device = journal.chronicler.device
    journal.chronicler.device = journal.trash()
    try:
        error = cls(**arguments)
    finally:
        journal.chronicler.device = device
    # as python prints it
    lines = "".join(traceback.format_exception_only(error)).rstrip().splitlines()
    return "\n".join(line.rstrip() for line in lines)


def qualified(cls):
    """
    The name of {cls} as its users spell it
    """
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


# the docstrings
def behaviors(component, name, *default):
    """
    Get the attribute {name} of {component}, or of a protocol, for autodoc: a method that pyre
    wrapped as a behavior, e.g. with {pyre.export} or {pyre.provides}, is the method itself,
    with its signature and docstring
    """
    # look it up
    value = getattr(component, name, *default)
    # unwrap a behavior
    if isinstance(value, Behavior):
        return value.pyre_method
    # anything else is as it is
    return value


def docstring(app, what, name, obj, options, lines):
    """
    Make a pyre docstring plain restructured text: names in braces become literals, and what
    would be read as markup is escaped
    """
    for index, line in enumerate(lines):
        pieces = []
        position = 0
        for match in braced.finditer(line):
            pieces.append(markup.sub(r"\\\1", line[position : match.start()]))
            pieces.append(f"``{match.group(1)}``")
            position = match.end()
        pieces.append(markup.sub(r"\\\1", line[position:]))
        lines[index] = "".join(pieces)
    # all done
    return


def signature(app, what, name, obj, options, args, retann):
    """
    The signature of a class is the one its page gives, e.g. {Staff(name, **traits)}; the one
    autodoc reads off the class is not what its users call: a component's is pyre's, with its
    {locator} and {implicit}, and the package makes its futures, crews and bridges itself. An
    exception keeps its own, whose keywords are what it carries, unless it is pyre's
    """
    # only classes, and only the signature read off them; one the page gives differs from it
    if what not in ("class", "exception") or args is None or args != introspected(obj):
        return None
    # exceptions with constructors of their own keep them
    if what == "exception" and not pyrean(obj.__init__):
        return None
    # the rest show none
    return "", ""


def introspected(cls):
    """
    The signature autodoc reads off {cls}, as it writes it, or {None}
    """
    try:
        return str(inspect.signature(cls))
    except (TypeError, ValueError):
        return None


def pyrean(function):
    """
    Whether {function} is pyre's
    """
    module = getattr(function, "__module__", None) or ""
    return module == "pyre" or module.startswith("pyre.")


def internal(app, what, name, obj, skip, options):
    """
    Leave out of the pages what {pyre_nexus.exceptions} defines besides its exception classes,
    the helpers that build and check them, and the members of exception classes, which render
    their messages: the classes and their messages are what users meet
    """
    # the helpers of the module
    if what == "module" and getattr(obj, "__module__", None) == "pyre_nexus.exceptions":
        return None if isinstance(obj, type) and issubclass(obj, BaseException) else True
    # the members of exception classes
    if what == "exception":
        return True
    # everything else, as autodoc decides
    return None


# the checks
def purge(app, env, docname):
    """
    Forget what {docname} covered, before it is read again
    """
    getattr(env, "nexus_errors", {}).pop(docname, None)


def merge(app, env, docnames, other):
    """
    Merge what a parallel reader covered
    """
    env.nexus_errors = getattr(env, "nexus_errors", {})
    env.nexus_errors.update(getattr(other, "nexus_errors", {}))


def complete(app, env):
    """
    Every exception class of the package is on some page
    """
    covered = set().union(*getattr(env, "nexus_errors", {}).values())
    # the classes the module defines
    defined = [
        name
        for name, value in vars(pyre_nexus.exceptions).items()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == "pyre_nexus.exceptions"
    ]
    # each missing one is a warning, which -W makes an error
    for name in defined:
        if name not in covered:
            logger.warning(f"nexusdocs: pyre_nexus.exceptions.{name} is on no page; add a nexus-error for it")
    # and so is an example of a class that is gone
    for name in sorted(set(examples) - set(defined)):
        logger.warning(f"nexusdocs: the examples show pyre_nexus.exceptions.{name}, which is gone")


# the entry point
def setup(app):
    """
    Register the directives and the checks
    """
    app.add_directive("nexus-traits", Traits)
    app.add_directive("nexus-error", Error)
    app.add_directive("nexus-messages", Messages)
    app.add_directive("nexus-complaints", Complaints)
    app.add_directive("nexus-frames", Frames)
    app.add_post_transform(Breaks)
    app.add_autodoc_attrgetter(Requirement, behaviors)
    app.connect("autodoc-process-docstring", docstring)
    app.connect("autodoc-process-signature", signature)
    app.connect("autodoc-skip-member", internal)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", complete)
    return {"version": pyre_nexus.version, "parallel_read_safe": True, "parallel_write_safe": True}


# end of file
