# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
python -m pyre_nexus: the worker shell, as the recruiters start it
"""

# the worker shell
from .apps.Worker import main

# run it
raise SystemExit(main())


# end of file
