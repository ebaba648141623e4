# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# the version of this package; setup.py reads it from here, so there is one source of truth
version = "0.1.0"


# end of file
