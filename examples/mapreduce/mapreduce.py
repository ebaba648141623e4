# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
Map-reduce on a team of crews: count the words in the text files of a folder

The map counts the words of each file, a few files per task; the reduce merges the partial
counts, a few at a time, also on the team, level after level, until one count is left. Without
a folder to count, the example writes a sample corpus in a temporary folder first
"""

# externals
import collections
import pathlib
import random
import re
import tempfile
import time

# the framework
import journal
import pyre
# the package
import pyre_nexus


# what a word is: letters, with apostrophes inside, e.g. "don't"; case does not count
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


# the tasks; they run as functions of this script, which pyre_nexus sends to the workers by
# value, so they must live at module level, and everything they use must travel with them
def count(path):
    """
    Count the words in the file at {path}
    """
    # the workers read the files themselves, so only their names travel; the workers of a
    # recruiter that starts them on other hosts need the same folder there
    with open(path, encoding="utf-8", errors="replace") as stream:
        # a line at a time, so a large file does not have to fit in memory
        return collections.Counter(word for line in stream for word in WORD.findall(line.lower()))


def merge(counts):
    """
    Merge the word {counts} into one
    """
    # add them up
    total = collections.Counter()
    for partial in counts:
        total.update(partial)
    # all done
    return total


# the opening of "A Tale of Two Cities", whose words make the sample corpus
OPENING = """
It was the best of times, it was the worst of times, it was the age of wisdom, it was the age
of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season
of Light, it was the season of Darkness, it was the spring of hope, it was the winter of
despair, we had everything before us, we had nothing before us, we were all going direct to
Heaven, we were all going direct the other way
"""


# declaration
class MapReduce(pyre.application, family="nexus_examples.mapreduce"):
    """
    Count the words in the text files of a folder, on a team of crews
    """

    # user configurable state
    corpus = pyre.properties.path(default=None)
    corpus.doc = "the folder with the text files; without one, a sample corpus is made"

    pattern = pyre.properties.str(default="*.txt")
    pattern.doc = "the names of the files to count, anywhere under the corpus folder"

    chunksize = pyre.properties.int(default=4)
    chunksize.doc = "how many files travel together as one map task"

    fanin = pyre.properties.int(default=8)
    fanin.doc = "how many partial counts each reduce task merges"

    top = pyre.properties.int(default=10)
    top.doc = "how many of the most frequent words to show"

    files = pyre.properties.int(default=128)
    files.doc = "how many files the sample corpus has"

    words = pyre.properties.int(default=20_000)
    words.doc = "how many words each file of the sample corpus has"

    seed = pyre.properties.int(default=0)
    seed.doc = "the seed of the sample corpus, so it is the same every time"

    team = pyre_nexus.team()
    team.doc = "the team that counts and merges"

    # obligations
    @pyre.export
    def main(self, *args, **kwds):
        """
        Count the words of the corpus
        """
        # a corpus given by the user is counted where it is
        if self.corpus is not None:
            return self.wordcount(folder=pathlib.Path(str(self.corpus)).resolve())
        # otherwise, make one, and clean it up afterwards
        with tempfile.TemporaryDirectory(prefix="mapreduce-") as folder:
            self.sample(folder=pathlib.Path(folder))
            return self.wordcount(folder=pathlib.Path(folder))

    # the work
    def wordcount(self, folder):
        """
        Count the words in the files of {folder}
        """
        # find the files, in a fixed order
        paths = sorted(str(path) for path in folder.rglob(self.pattern) if path.is_file())
        if not paths:
            print(f"mapreduce: no files match {self.pattern!r} in {folder}")
            return 1
        # show the setup
        team = self.team
        print(
            f"mapreduce: {len(paths)} files in {folder}, on {team.size} crews, "
            f"recruiter {team.recruiter.pyre_family()}"
        )
        start = time.perf_counter()
        # map: a count per file; {chunksize} files travel as one task, so short tasks do not
        # pay a round trip each; the counts come back in the order of the files
        try:
            counts = list(team.map(count, paths, chunksize=self.chunksize))
        # a file that cannot be read stops the count; {map} cancels the rest of the tasks
        except OSError as error:
            print(f"mapreduce: {error}")
            team.shutdown(cancel_futures=True)
            return 1
        print(f"  map: {len(counts)} partial counts")
        # reduce on the team too: merge groups of {fanin} counts per task, level after level,
        # so the merging is spread over the crews instead of done here one count at a time
        while len(counts) > 1:
            groups = [counts[i : i + self.fanin] for i in range(0, len(counts), self.fanin)]
            merged = list(team.map(merge, groups))
            print(f"  reduce: {len(counts)} partial counts merged into {len(merged)}")
            counts = merged
        total = counts[0]
        elapsed = time.perf_counter() - start
        # let the crews go
        team.shutdown()
        # report
        print(
            f"mapreduce: {total.total()} words, {len(total)} distinct, in {elapsed:.2f} s; "
            f"the top {self.top}:"
        )
        for word, times in total.most_common(self.top):
            print(f"  {times:10} {word}")
        # all done
        return 0

    def sample(self, folder):
        """
        Write a sample corpus of {files} files with {words} words each into {folder}
        """
        # the vocabulary, in the order the words first appear
        vocabulary = list(dict.fromkeys(WORD.findall(OPENING.lower())))
        # words are drawn as in natural text: the k-th most common one about 1/k as often
        weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
        # the same corpus every time
        rng = random.Random(self.seed)
        # write the files
        for index in range(self.files):
            text = rng.choices(vocabulary, weights=weights, k=self.words)
            # a dozen words to a line
            lines = (" ".join(text[i : i + 12]) for i in range(0, len(text), 12))
            (folder / f"part-{index:04}.txt").write_text("\n".join(lines) + "\n")
        # say so
        print(f"mapreduce: wrote a sample corpus of {self.files} files of {self.words} words each")
        # all done
        return


# the entry point
def main():
    """
    Run the word count with the configuration next to this script, which a mapreduce.pfg in the
    current folder and the command line override
    """
    # the configuration that ships with the example, at package priority, like the defaults of
    # an installed package, so everything else beats it; read from here, pyre would only find it
    # when it runs in this folder
    shipped = pathlib.Path(__file__).with_name("mapreduce.pfg")
    pyre.executive.loadConfiguration(uri=str(shipped), priority=pyre.executive.priority.package)
    # the instance name picks the section of the configuration: {mapreduce}
    app = MapReduce(name="mapreduce")
    # run it
    try:
        return app.run()
    # pyre has shown the error on the application's fatal channel; no traceback needed
    except journal.ApplicationError:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())


# end of file
