"""How gunicorn serves Cocrea; gunicorn reads this file from the directory it starts in.

By default each worker loads the application itself. With ``--preload`` (or
``GUNICORN_CMD_ARGS=--preload``) the master loads it once and forks the workers from it:
the code, the models and what the factory made then sit in memory the workers share
until one writes to it (measured with ``bench/memory.py``: 57 MB of a worker's own
instead of 78). Each worker opens database connections of its own either way
(``core.database.new_connections_after_fork``).

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8000 "app:create_app()"
    .venv/bin/gunicorn -w 4 --preload -b 127.0.0.1:8000 "app:create_app()"
"""

import gc


def pre_fork(server, worker):
    # What the master made so far (with --preload, the whole application) is moved out
    # of the garbage collector's sight: a collection in a worker would otherwise write to
    # every page holding those objects and leave the worker its own copy of them.
    gc.freeze()
