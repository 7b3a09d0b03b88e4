"""Fleet campaigns: deliver svcgen's own changes as one branch, commit and
merge request per repository.

``svcgen update`` and ``svcgen patch-config`` run their usual in-place core on
a temporary git worktree of each repository (never on the owner's checkout),
then this package commits the result on a branch, pushes it and opens a merge
request. Modules:

* :mod:`svcgen.campaign.gitops`: worktree lifecycle, base, commit, push;
* :mod:`svcgen.campaign.provider`: GitLab/GitHub detection, merge requests;
* :mod:`svcgen.campaign.record`: the ``--campaign FILE`` record;
* :mod:`svcgen.campaign.runner`: grouping services into repositories and
  running the three stages (prepare, apply, deliver) with ``--jobs``;
* :mod:`svcgen.campaign.appliers`: the update and patch-config cores,
  applied to the worktree copies.

Core code: nothing here prints or exits.
"""
