"""``svcgen patch-config`` core: byte-exact, all-or-nothing YAML config patches.

How a patch is applied to one file (see :mod:`svcgen.patching.engine`):

1. parse the file with PyYAML's C composer (node marks, no Python objects),
   resolving plain scalars with the YAML 1.2 core schema (:mod:`.yaml12`);
2. locate each path in the node tree (:mod:`.locate`) and splice only the
   changed text into the original (:mod:`.edit`);
3. re-parse the result and require it to equal the original data plus the
   intended change, else raise :class:`~svcgen.errors.InternalError`.

The fleet runner (:mod:`.runner`) plans every file before it writes any.
Nothing in this package prints or exits.
"""
