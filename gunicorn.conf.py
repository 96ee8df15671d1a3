"""How gunicorn serves Cocrea; gunicorn reads this file from the directory it starts in.

The application is loaded once, in the master, and each worker is forked from it
(``preload_app``): the code, the models and everything the factory made sit in memory the
workers share until one of them writes to it, instead of a copy in each. A worker opens
database connections of its own (``core.database.new_connections_after_fork``).

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8000 "app:create_app()"
"""

import gc

preload_app = True


def pre_fork(server, worker):
    # What the master made so far is moved out of the garbage collector's sight: a
    # collection in a worker would otherwise write to every page holding those objects
    # and leave the worker with its own copy of them.
    gc.freeze()
