"""The bundle's entry script (packaging/cnnstudio.spec): ``cnnstudio`` as installed by pip.

``freeze_support`` comes first: the app trains in a ``spawn`` child process
(``cnnstudio.gui.training.worker``), and in a frozen app that child is this same executable,
which must run the child's job instead of starting the app again.
"""

import multiprocessing
import sys

from cnnstudio.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
