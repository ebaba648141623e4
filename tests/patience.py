# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
How long the tests wait for anything before they call it a hang: one bound for the whole suite,
here rather than in each module, so a loaded machine gets the same allowance everywhere
"""


# generous, so a loaded machine does not fail a test; each test has a 60 s budget anyway, unless
# it asks for more (the timeout in pyproject.toml)
PATIENCE = 60


# end of file
